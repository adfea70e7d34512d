"""Later sends: the dispatcher claims due notifications and hands them to the adapters'
notifiers exactly once. Capabilities add rows and renderers through the registry."""
