"""The peer: the same case lifecycle run by SpiffWorkflow, the Python BPMN engine."""
