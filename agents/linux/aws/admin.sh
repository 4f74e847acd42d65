# shellcheck shell=bash
# AWS: the admin path. With no ingress (exposure.mode private, the default) admins reach a VM with
# Session Manager, which needs the SSM agent. Amazon Linux 2023 and Ubuntu images ship it; Debian 12
# and RHEL 9 images do not. So after activation, best effort (a failure is a warning in the
# outcome, never a failed deploy), install it from AWS's regional package location, as AWS
# documents for each OS:
#   Debian: https://docs.aws.amazon.com/systems-manager/latest/userguide/agent-install-deb.html
#   RHEL 8/9: https://docs.aws.amazon.com/systems-manager/latest/userguide/agent-install-rhel-8-9.html
# (https://s3.<region>.amazonaws.com/amazon-ssm-<region>/latest/{debian,linux}_{amd64,arm64}/...)

ssm_agent_present() {
  [[ -x /usr/bin/amazon-ssm-agent || -d /snap/amazon-ssm-agent ]]
}

# On failure prints what failed.
dskit_setup_admin_access() {
  local arch base
  ssm_agent_present && return 0
  case $(uname -m) in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) echo "AWS publishes no SSM agent package for $(uname -m)"; return 1 ;;
  esac
  base="https://s3.$AWS_REGION.amazonaws.com/amazon-ssm-$AWS_REGION/latest"
  install_downloaded_package "$base/$([[ $PKG == deb ]] && echo debian || echo linux)_$arch/amazon-ssm-agent.$PKG" || return 1
  systemctl enable --now amazon-ssm-agent >/dev/null 2>&1 ||
    { echo "the SSM agent was installed but did not start (systemctl enable --now amazon-ssm-agent)"; return 1; }
  log "admin access: SSM agent installed from $base; Session Manager: aws ssm start-session --target <instance id>"
}
