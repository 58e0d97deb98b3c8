"""A believable quarter of activity for a new user to explore (``flask demo simulate``).

``plan`` draws the quarter as data (pure, deterministic for a seed); ``writer`` replays it
through the service layer with the clock set to each moment (``core.clock.clock_set_to``);
``events`` runs the event handlers over what it wrote, day by day, so the first KPI request
shows every figure. ``profiles`` holds the behaviour it draws from (services' journeys,
channels' handling times and satisfaction).
"""
