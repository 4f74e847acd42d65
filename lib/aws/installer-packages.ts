/**
 * The Agent Installer packages of a `vision-one` sandbox, on their way to the VMs privately.
 *
 * Each package is a CDK file asset: `cdk deploy` uploads it to the CDK bootstrap bucket (private,
 * encrypted, TLS only) under a key the CDK derives from the package's SHA-256, and
 * only the instance role is granted `s3:GetObject` on exactly that object. The boot script
 * downloads it with the role's credentials, signing the request itself (agents/linux/aws/sigv4.sh,
 * agents/windows/aws/sigv4.ps1), and checks the SHA-256 it carries before unpacking. No template
 * or user data holds the package or its registration data: only the bucket's name and the key.
 *
 * CDK never deletes an asset, and a package carries the tenant's registration data, so a small
 * custom resource per package deletes its object when the stack is deleted or the package is
 * replaced (a new SHA-256 is a new key: the update's cleanup deletes the old one). A later deploy
 * that needs the object again uploads it again (the CDK publishes every asset that is missing).
 * Another stack of the same account and region that uses the very same file shares the object.
 */
import { AssetHashType, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { InstallerPackage } from '../agent/installers';
import type { InstallerKind } from '../config';

export interface InstallerPackagesProps {
  /** The packages the stack's VMs need (one per kind). */
  readonly packages: readonly InstallerPackage[];
  /** The VMs' role: the only principal the stack lets read the objects. */
  readonly role: iam.IRole;
}

/** Where a VM's boot script finds its package. */
export interface InstallerLocation {
  /** The bucket's name (a CDK token until deploy). */
  readonly bucket: string;
  readonly object: string;
}

export class InstallerPackages extends Construct {
  public readonly assets: ReadonlyMap<InstallerKind, s3assets.Asset>;
  /** One per package: deletes its object with the stack (or when the package is replaced). */
  public readonly deleters: ReadonlyMap<InstallerKind, AwsCustomResource>;

  constructor(scope: Construct, id: string, props: InstallerPackagesProps) {
    super(scope, id);
    const kinds = props.packages.map((p) => p.kind);
    if (new Set(kinds).size !== kinds.length) throw new Error(`InstallerPackages: one package per kind; got ${kinds.join(', ')}`);
    const assets = new Map<InstallerKind, s3assets.Asset>();
    const deleters = new Map<InstallerKind, AwsCustomResource>();
    for (const pkg of props.packages) {
      // The package's own digest as the asset's hash (the CDK derives the object key from it): a
      // changed package is a new object, and the file is not read a second time to fingerprint it.
      const asset = new s3assets.Asset(this, pkg.kind, { path: pkg.file, assetHash: pkg.sha256, assetHashType: AssetHashType.CUSTOM });
      const objectArn = asset.bucket.arnForObjects(asset.s3ObjectKey);
      props.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: `ReadAgentInstaller${pkg.kind.replace(/[^A-Za-z0-9]/g, '')}`, actions: ['s3:GetObject'], resources: [objectArn] }),
      );
      const object = { Bucket: asset.s3BucketName, Key: asset.s3ObjectKey };
      deleters.set(
        pkg.kind,
        new AwsCustomResource(this, `Delete-${pkg.kind}`, {
          // Creating it checks the upload happened: a deploy fails here, not at boot, without the object.
          onCreate: { service: 'S3', action: 'headObject', parameters: object, physicalResourceId: PhysicalResourceId.of(`${asset.s3ObjectKey}`) },
          onDelete: { service: 'S3', action: 'deleteObject', parameters: object },
          policy: AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:DeleteObject'], resources: [objectArn] })]),
          installLatestAwsSdk: false,
        }),
      );
      assets.set(pkg.kind, asset);
    }
    this.assets = assets;
    this.deleters = deleters;
  }

  /** The package of `kind`; an error naming the kind if the stack has none. */
  locationOf(kind: InstallerKind): InstallerLocation {
    const asset = this.assets.get(kind);
    if (!asset) throw new Error(`InstallerPackages: no ${kind} package in this stack`);
    return { bucket: asset.s3BucketName, object: asset.s3ObjectKey };
  }
}

/** The acknowledgements of what cdk-nag finds in the CDK's own custom-resource function (one per stack). */
export function acknowledgeDeleterFindings(stack: Stack): void {
  const fn = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (!fn) return;
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "the CDK's AwsCustomResource function that deletes the installer package objects: the managed policy only lets it write its own logs",
  });
}
