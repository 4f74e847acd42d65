/**
 * DS events from the VMs to S3 (SPEC §5): the CloudWatch agent on each VM ships the agent's CEF
 * syslog to a log group; a subscription filter hands every line to Firehose, which unwraps
 * CloudWatch's gzip'd envelopes with its built-in processors (no Lambda) and writes the raw lines,
 * one per line, under an hourly prefix the Glue table projects as a partition.
 */
import { CfnResource, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import { logRetentionFor } from './names';
import { SandboxBucket } from './sandbox-bucket';

/** Firehose writes `events/<yyyy>/<MM>/<dd>/<HH>/`; the Glue table's `datehour` partition reads it back. */
export const EVENTS_HOUR_PREFIX_FORMAT = 'yyyy/MM/dd/HH';

export interface EventsPipelineProps {
  /** `/dskit/<sandbox>/ds-events`. */
  readonly logGroupName: string;
  /** Log group retention (rounded up to what CloudWatch allows) and S3 expiry. */
  readonly retentionDays: number;
  /** S3 key prefix of the event files; must end in `/`. */
  readonly prefix: string;
  /**
   * How long Firehose buffers before writing a file.
   * @default Duration.seconds(60) - events show up in Athena about a minute after they happen
   */
  readonly bufferInterval?: Duration;
}

export class EventsPipeline extends Construct {
  public readonly logGroup: logs.LogGroup;
  public readonly bucket: SandboxBucket;
  /** Firehose's own delivery errors, created here so nothing is left behind. */
  public readonly deliveryLogGroup: logs.LogGroup;
  public readonly deliveryStream: firehose.DeliveryStream;
  public readonly subscription: logs.SubscriptionFilter;
  /** The S3 prefix of the event files, `<prefix><yyyy>/<MM>/<dd>/<HH>/`. */
  public readonly prefix: string;

  constructor(scope: Construct, id: string, props: EventsPipelineProps) {
    super(scope, id);
    if (!props.prefix.endsWith('/') || props.prefix.startsWith('/')) {
      throw new Error(`EventsPipeline: prefix must be relative and end with "/", got "${props.prefix}"`);
    }
    this.prefix = props.prefix;
    const retention = logRetentionFor(props.retentionDays);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.bucket = new SandboxBucket(this, 'Bucket', { expirationDays: props.retentionDays, purpose: 'DS event lines' });
    this.deliveryLogGroup = new logs.LogGroup(this, 'DeliveryLogGroup', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(this.bucket.bucket, {
        dataOutputPrefix: `${props.prefix}!{timestamp:${EVENTS_HOUR_PREFIX_FORMAT}}/`,
        errorOutputPrefix: `errors/!{firehose:error-output-type}/!{timestamp:${EVENTS_HOUR_PREFIX_FORMAT}}/`,
        compression: firehose.Compression.GZIP,
        bufferingInterval: props.bufferInterval ?? Duration.seconds(60),
        bufferingSize: Size.mebibytes(5),
        loggingConfig: new firehose.EnableLogging(this.deliveryLogGroup),
        processors: [
          new firehose.DecompressionProcessor(),
          new firehose.CloudWatchLogProcessor({ dataMessageExtraction: true }),
          new firehose.AppendDelimiterToRecordProcessor(),
        ],
      }),
    });

    // Firehose adds its log stream to our group with the CDK's default removal policy (retain).
    for (const child of this.deliveryLogGroup.node.findAll()) {
      if (child instanceof CfnResource) child.applyRemovalPolicy(RemovalPolicy.DESTROY);
    }

    // The CDK's S3 destination always grants its role read/write on the bucket. Firehose itself
    // needs Put/Get/List/AbortMultipartUpload and GetBucketLocation; the construct offers no
    // narrower grant, so the extra Delete/Get* wildcards are acknowledged, bounded by this bucket.
    const bucketArn = Stack.of(this).resolve(this.bucket.bucket.bucketArn) as { 'Fn::GetAtt': [string, string] };
    const grantFindings = ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*'];
    grantFindings.push(`Resource::<${bucketArn['Fn::GetAtt'][0]}.Arn>/*`);
    for (const finding of grantFindings) {
      Validations.of(this.deliveryStream).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason: 'the read/write grant the CDK Firehose S3 destination always gives its role: Firehose needs s3:PutObject, GetObject, ListBucket(MultipartUploads), GetBucketLocation and AbortMultipartUpload; the construct cannot narrow it further, and every action is bounded to the events bucket and its objects',
      });
    }

    this.subscription = new logs.SubscriptionFilter(this, 'Subscription', {
      logGroup: this.logGroup,
      destination: new destinations.FirehoseDestination(this.deliveryStream),
      filterPattern: logs.FilterPattern.allEvents(),
    });
  }
}
