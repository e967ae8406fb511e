"""The local docker-compose stack as plain data (`stack.derive`): its services (`services`), the
settings the services' `stack` sections ask of it (`settings`), what differs on a developer's
machine (`local`), and the configs only this stack has (`configs`)."""
