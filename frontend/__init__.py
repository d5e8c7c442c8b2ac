"""The pages people use: resident phone app, station console, reviewer desk."""
