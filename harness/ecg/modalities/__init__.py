"""One module per way of showing an ECG to a model; :mod:`harness.ecg.present` dispatches."""
