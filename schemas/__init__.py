"""The return contract: its columns, how its cells are read, and the Pandera gate."""
