"""The Experiments page's half: planning an experiment before it is queued."""
