"""Running the service: the processes ``bgtasks serve`` starts and watches."""
