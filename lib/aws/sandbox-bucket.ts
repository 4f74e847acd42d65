/**
 * An S3 bucket fit for a disposable sandbox: encrypted, never public, TLS only, objects expire
 * with the sandbox's retention, and `cdk destroy` empties and deletes it.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SandboxBucketProps {
  /** Objects are deleted this many days after they are written. */
  readonly expirationDays: number;
  /** What the bucket holds, for the nag acknowledgement. */
  readonly purpose: string;
}

export class SandboxBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SandboxBucketProps) {
    super(scope, id);
    if (!Number.isInteger(props.expirationDays) || props.expirationDays < 1) {
      throw new Error(`SandboxBucket: expirationDays must be a whole number of days, 1 or more; got ${props.expirationDays}`);
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'retention', expiration: Duration.days(props.expirationDays), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: `holds ${props.purpose} of a short-lived sandbox, written only by AWS services; an access-log bucket would outlive nothing and double the buckets to empty on teardown`,
    });
  }
}
