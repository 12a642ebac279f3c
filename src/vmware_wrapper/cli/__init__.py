"""The vmw command: vSphere by name, from the shell (see ``vmw --help``)."""
