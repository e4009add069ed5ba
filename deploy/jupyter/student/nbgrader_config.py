"""nbgrader settings for students' accounts.

JupyterHub (deploy/jupyterhub_config.py) puts this folder on students' JUPYTER_CONFIG_PATH; on a
plain machine, copy this file to /etc/jupyter/nbgrader_config.py.

With it, students fetch and submit with plain `nbgrader fetch_assignment <id>` / `nbgrader submit <id>`
(or the Assignments tab of JupyterLab), and fetch feedback with `nbgrader fetch_feedback <id>`.
The exchange root must match the instructor's nbgrader_config.py.
"""

import os

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "improving-dnn"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/usr/local/share/nbgrader/exchange")

# Submissions readable only by the student and the graders' group (coursekit.plugins.PrivateSubmit).
c.ExchangeFactory.submit = "coursekit.plugins.PrivateSubmit"
