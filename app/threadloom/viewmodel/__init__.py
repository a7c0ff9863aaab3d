"""Qt-free view models: everything the views show that is derived from a trace, but not drawn.

``text`` formats times, counts and a run's settings; the other modules say what
each task does at an instant, narrate the scheduler view, drive the replay
clock and build the compare table. ``ui/`` draws what these return and reacts
to the user; nothing here imports Qt, so all of it is tested without a display.
"""
