"""The one-command demo: embedded server + mission runner + app."""
