"""Qt views of a Threadloom run: they draw and react to the Qt-free model, and measure nothing themselves."""
