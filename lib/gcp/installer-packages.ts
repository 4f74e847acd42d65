/**
 * The Agent Installer packages of a `vision-one` sandbox, on their way to the VMs privately: a
 * bucket of the stack's own (uniform access, public access prevented, `force_destroy` so a destroy
 * removes it with its objects), one object per package under `<sha256>.<ext>` uploaded by Terraform
 * from the file on the user's machine (`source`: the Terraform JSON and state hold its path and
 * hashes, never its content; provider 6.50 website/docs/r/storage_bucket_object.html.markdown), and
 * read access for the VMs' service account alone (roles/storage.objectViewer on this bucket only).
 * The boot script downloads its package with the metadata server's token and checks the SHA-256 it
 * carries before unpacking (agents/linux/gcp/installer.sh, agents/windows/gcp/installer.ps1).
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import type { InstallerLocation } from '../agent';
import type { InstallerPackage } from '../agent/installers';
import type { InstallerKind } from '../config';
import { sandboxNamePrefix } from './names';

/** Bucket names are global: the project (itself globally unique) goes in as a short digest. */
export function installerBucketName(sandbox: string, project: string): string {
  return `${sandboxNamePrefix(sandbox)}dskit-installers-${createHash('sha256').update(project).digest('hex').slice(0, 8)}`;
}

export interface InstallerPackagesProps {
  readonly sandboxName: string;
  readonly project: string;
  /** The bucket's location: the sandbox's region. */
  readonly location: string;
  readonly packages: readonly InstallerPackage[];
  /** `serviceAccount:<email>` of the VMs: the only member that may read the objects. */
  readonly readerMember: string;
  /** Labels, keys and values already GCP-valid. */
  readonly labels: Readonly<Record<string, string>>;
}

export class InstallerPackages extends Construct {
  public readonly bucket: StorageBucket;
  public readonly objects: ReadonlyMap<InstallerKind, StorageBucketObject>;
  public readonly readerAccess: StorageBucketIamMember;
  private readonly bucketName: string;
  private readonly objectNames = new Map<InstallerKind, string>();

  constructor(scope: Construct, id: string, props: InstallerPackagesProps) {
    super(scope, id);
    this.bucketName = installerBucketName(props.sandboxName, props.project);
    this.bucket = new StorageBucket(this, 'bucket', {
      name: this.bucketName,
      project: props.project,
      location: props.location,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      forceDestroy: true,
      labels: { ...props.labels },
    });
    const objects = new Map<InstallerKind, StorageBucketObject>();
    for (const pkg of props.packages) {
      this.objectNames.set(pkg.kind, pkg.objectName);
      objects.set(
        pkg.kind,
        new StorageBucketObject(this, `object-${pkg.kind}`, {
          bucket: this.bucket.name,
          name: pkg.objectName,
          source: pkg.file,
          contentType: 'application/octet-stream',
        }),
      );
    }
    this.objects = objects;
    this.readerAccess = new StorageBucketIamMember(this, 'reader', {
      bucket: this.bucket.name,
      role: 'roles/storage.objectViewer',
      member: props.readerMember,
    });
  }

  /** The package of `kind`; an error naming the kind if the stack has none. */
  locationOf(kind: InstallerKind): InstallerLocation {
    const object = this.objectNames.get(kind);
    if (!object) throw new Error(`InstallerPackages: no ${kind} package in this stack`);
    // Literal names, known at synth: the VM's dependsOn orders it after the upload and the grant.
    return { bucket: this.bucketName, object };
  }
}
