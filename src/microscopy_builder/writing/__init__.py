"""Writing a session: the options of one write, the streamed datasets, and the writer with its states."""
