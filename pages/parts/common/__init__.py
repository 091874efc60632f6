"""What every page shares: the sidebar, navigation, Start here, warm-up, mounted charts, run guard."""
