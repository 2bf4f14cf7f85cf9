"""The use cases both faces call: the weekly report, the reminders kit (list, drafts, export, marks),
sending, and the formal notes. The command line (``rollout.cli``) and the dashboard (``ui/``,
``pages/``) parse their input and show the outcome; what is done, and in which order, is here.

Layer: above ``rollout.reminders`` (the reminders' files and log), below ``rollout.cli``.
"""
