"""What lakebox needs from the operating system, below every other package: processes, files, sockets."""
