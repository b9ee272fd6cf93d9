"""Simulated reserves for tests and benchmarks, written independently of the demo's generator
(threats/interchange/demo.py), so the risk model can be scored on worlds it was not shaped on."""
