"""nbgrader's exchange with submissions that other students cannot read.

nbgrader's default ``submit`` leaves each submission in the exchange's inbound folder readable by
everyone (files 0644, the folder 0777); only the folder's unguessable name hides it. ``PrivateSubmit``
takes the permissions for "others" away, so only the student and the graders' group can read it.

It needs the inbound folder to belong to the graders' group with the set-group-ID bit, so that new
submissions inherit that group (the instructor, a member of the group, runs once after the first
``release_assignment``: ``chgrp <graders> <exchange>/<course>/inbound && chmod 2733 .../inbound``).
Without that set-up it keeps nbgrader's default permissions, since the instructor could not collect
otherwise, and says so.
"""

import os
import stat

from nbgrader.exchange.default.submit import ExchangeSubmit


class PrivateSubmit(ExchangeSubmit):
    def do_copy(self, src, dest):
        inbound = os.path.abspath(self.inbound_path)
        if os.path.dirname(os.path.abspath(dest)) != inbound or not os.stat(inbound).st_mode & stat.S_ISGID:
            return super().do_copy(src, dest)
        # copytree ends by copying the student's folder mode onto the new folder, which clears the
        # set-group-ID bit inherited from inbound (a student may not set it back: they are not in the
        # graders' group); the files nbgrader writes next (timestamp.txt, submission_secret.txt) would
        # then get the student's group. So copy into a staging folder and move the entries into a
        # folder made with os.makedirs, which keeps the inherited bit.
        staging = dest + ".staging"
        super().do_copy(src, staging)
        os.makedirs(dest)
        for entry in os.listdir(staging):
            os.rename(os.path.join(staging, entry), os.path.join(dest, entry))
        os.rmdir(staging)
        return None

    def copy_files(self):
        super().copy_files()
        inbound = os.stat(self.inbound_path)
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        if not inbound.st_mode & stat.S_ISGID or inbound.st_gid == os.getgid():
            self.log.warning(
                "inbound folder %s is not set-group-ID to a graders' group: the submission stays readable "
                "by other users of this machine",
                self.inbound_path,
            )
            return
        for dirname, dirnames, filenames in os.walk(dest):
            for filename in filenames:
                os.chmod(os.path.join(dirname, filename), 0o640)
            for sub in dirnames:
                os.chmod(os.path.join(dirname, sub), 0o750)
        # Group-writable so that graders can remove it, as nbgrader intends; closed to others.
        os.chmod(dest, 0o2770)
