"""Qt-free view models: everything the views show that is derived from a trace, but not drawn.

``text`` formats times, counts and a run's settings; ``instant`` says what each
task does at an instant and ``narrate`` words it for the scheduler view;
``lanes`` and ``timeline_text`` lay out and describe the timeline's bands;
``replay`` is the replay clock, ``compare`` the compare table and ``live`` the
figures of a run in progress. ``ui/`` draws what these return and reacts to the
user; nothing here imports Qt, so all of it is tested without a display.
"""
