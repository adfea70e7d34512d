"""Accord's platform-neutral core: it decides, adapters translate, storage stores."""
