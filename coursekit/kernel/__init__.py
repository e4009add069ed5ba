"""How untrusted code runs while a submission is graded.

- ``execute.py``: ``GuardedExecute``, nbgrader's Execute step hardened (time limits, dead kernels,
  output cap, tamper guard); nbgrader_config.py puts it in place of nbgrader's Execute;
- ``sandbox.py``: ``SandboxedKernelManager``, the kernel in bubblewrap: its own namespaces, files and
  environment from allow-lists, bounded memory, disk, processes and CPU time;
- ``guard.py``: imported *inside* the grading kernel: snapshots and restores the functions test cells
  rely on.

This package's ``__init__`` imports nothing: the grading kernel imports ``coursekit.kernel.guard``
without nbgrader or jupyter_client.
"""
