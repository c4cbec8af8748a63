"""gitops-tui: a GitOps console for the terminal."""

__version__ = "0.1.0"
