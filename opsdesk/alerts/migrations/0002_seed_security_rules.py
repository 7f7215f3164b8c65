"""F2: the ten kinds of security and change events, as rows (editable data, not code)."""

from django.db import migrations

LARGE_TYPES = ["*.8xlarge", "*.9xlarge", "*.12xlarge", "*.16xlarge", "*.18xlarge", "*.24xlarge",
               "*.32xlarge", "*.48xlarge", "*.metal", "p*", "x*", "u-*"]

RULES = [
    # (position, kind, label, severity, eventSource, eventNames, errorCodes, instanceTypes)
    (10, "authorisation_failure", "Authorisation failure", "medium", "", [],
     ["AccessDenied", "UnauthorizedOperation", "Client.UnauthorizedOperation"], []),
    (20, "console_signin_failure", "Console sign-in failure", "medium", "signin.amazonaws.com",
     ["ConsoleLogin"], ["Failure"], []),
    (30, "large_ec2_instance_change", "Large EC2 instance change", "high", "ec2.amazonaws.com",
     ["RunInstances", "ModifyInstanceAttribute"], [], LARGE_TYPES),
    (40, "iam_policy_change", "IAM policy change", "high", "iam.amazonaws.com",
     ["CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion",
      "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
      "DetachGroupPolicy", "PutRolePolicy", "DeleteRolePolicy", "PutUserPolicy", "DeleteUserPolicy",
      "PutGroupPolicy", "DeleteGroupPolicy"], [], []),
    (50, "cloudtrail_change", "CloudTrail change", "high", "cloudtrail.amazonaws.com",
     ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging", "PutEventSelectors"], [], []),
    (60, "security_group_change", "Security group change", "medium", "ec2.amazonaws.com",
     ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
      "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"], [], []),
    (70, "network_acl_change", "Network ACL change", "medium", "ec2.amazonaws.com",
     ["CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
      "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"], [], []),
    (80, "gateway_change", "Gateway change", "medium", "ec2.amazonaws.com",
     ["CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
      "DeleteInternetGateway", "DetachInternetGateway"], [], []),
    (90, "vpc_change", "VPC change", "medium", "ec2.amazonaws.com",
     ["CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
      "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
      "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink"], [], []),
    (100, "ec2_instance_change", "EC2 instance change", "low", "ec2.amazonaws.com",
     ["RunInstances", "RebootInstances", "StartInstances", "StopInstances", "TerminateInstances",
      "ModifyInstanceAttribute"], [], []),
]


def seed(apps, schema_editor):
    SecurityRule = apps.get_model("alerts", "SecurityRule")
    for position, kind, label, severity, source, names, errors, types in RULES:
        SecurityRule.objects.update_or_create(
            kind=kind,
            defaults=dict(
                position=position, label=label, severity=severity, event_source=source,
                event_names=names, error_codes=errors, instance_types=types,
            ),
        )


def unseed(apps, schema_editor):
    apps.get_model("alerts", "SecurityRule").objects.filter(kind__in=[r[1] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
