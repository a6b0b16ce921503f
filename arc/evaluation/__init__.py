"""Depth metrics (Table 1), named protocols, prediction over cache splits, folder evaluation."""
