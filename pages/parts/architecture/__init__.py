"""The Architecture page's halves: the block editor, the config tabs, the diagrams, the arithmetic."""
