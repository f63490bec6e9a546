"""Resetting per-process caches between instances measured in one benchmark process."""


def fresh_process_state() -> None:
    import bgtasks.orchestration.instance as instance_module
    from bgtasks.services import forget_services
    from bgtasks.settings import get_settings

    get_settings.cache_clear()
    forget_services()
    instance_module._instance = None
