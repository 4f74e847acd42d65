import { Construct } from 'constructs';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { serviceAccountId } from './names';

/** What the VMs need project-wide: the Ops Agent writes logs and metrics. Nothing else. */
export const VM_PROJECT_ROLES = ['roles/logging.logWriter', 'roles/monitoring.metricWriter'] as const;

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;

export interface SandboxIdentityProps {
  readonly sandboxName: string;
  readonly project: string;
  /**
   * The Secret Manager secret holding the activation token. The user creates it beforehand
   * (`gcloud secrets create`); the stack only grants access, so the token never enters Terraform.
   * @default none: a vision-one sandbox's agents register from their installer package (lib/gcp/installer-packages.ts grants its read)
   */
  readonly activationTokenSecret?: string;
}

/**
 * The VMs' own identity: a dedicated service account that may write logs and metrics and read
 * the one token secret (a secret-level grant, not project-wide Secret Manager access).
 */
export class SandboxIdentity extends Construct {
  public readonly serviceAccount: ServiceAccount;
  public readonly projectRoles: ProjectIamMember[];
  /** Absent without a token secret (vision-one). */
  public readonly secretAccess?: SecretManagerSecretIamMember;
  /** `serviceAccount:<email>`, for IAM bindings. */
  public readonly member: string;

  constructor(scope: Construct, id: string, props: SandboxIdentityProps) {
    super(scope, id);
    if (props.activationTokenSecret !== undefined && !SECRET_ID.test(props.activationTokenSecret)) {
      throw new Error(
        `manager.activationTokenSecret: got "${props.activationTokenSecret}"; allowed: a Secret Manager secret id, 1-255 letters, digits, - or _`,
      );
    }
    this.serviceAccount = new ServiceAccount(this, 'account', {
      accountId: serviceAccountId(props.sandboxName),
      displayName: `dskit ${props.sandboxName} sandbox VMs`,
      description: 'Deep Security agents: read the activation token, ship events to Cloud Logging',
      project: props.project,
    });
    this.member = `serviceAccount:${this.serviceAccount.email}`;

    this.projectRoles = VM_PROJECT_ROLES.map(
      (role) =>
        new ProjectIamMember(this, role.replace(/^roles\//, '').replace(/\./g, '-'), {
          project: props.project,
          role,
          member: this.member,
        }),
    );
    if (props.activationTokenSecret !== undefined) {
      this.secretAccess = new SecretManagerSecretIamMember(this, 'token-accessor', {
        project: props.project,
        secretId: props.activationTokenSecret,
        role: 'roles/secretmanager.secretAccessor',
        member: this.member,
      });
    }
  }
}
