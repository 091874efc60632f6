"""The Training page's halves: controls, queue, what a run learned, and the comparison."""
