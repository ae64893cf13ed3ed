"""Console screens, one module per area, so that several people can add screens without
editing the same file. URLs are registered in :mod:`tidings.console.urls`."""
