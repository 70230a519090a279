"""Read any supported input into its canonical layer, and inspect inputs."""
