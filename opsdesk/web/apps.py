from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "opsdesk.web"
    label = "web"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from opsdesk.web import billing_alerts, intake_alerts, intake_email
        from opsdesk.web.middleware import on_user_logged_in
        from opsdesk.web.signin import on_user_locked_out

        # Lockouts are decided inside axes; this is the only way to hear of one (issue 7: audited).
        user_locked_out.connect(on_user_locked_out, dispatch_uid="opsdesk.web.signin.on_user_locked_out")
        user_logged_in.connect(on_user_logged_in, dispatch_uid="opsdesk.web.middleware.on_user_logged_in")
        intake_alerts.register()
        intake_email.register()  # issue 12 item 5: inbound email -> incidents
        billing_alerts.register()  # issue 12 item 6: crossed billing thresholds -> alerts
