"""Tables 2-4 and Figures 3-5 (+ appendix 7, 8, 11) from results/<benchmark>/seed<S>/<method>/."""
