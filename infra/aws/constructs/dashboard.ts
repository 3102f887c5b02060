import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { ensureDashboardBuilt } from '../../dashboard/build.js';

// browser --HTTPS--> CloudFront (OAC) --> private S3 bucket: index.html, assets/*, config.json {apiUrl} (written at deploy)
// browser --HTTPS, bearer token, CORS--> API Gateway (the admin API)

export interface DashboardProps {
  /** The admin API's URL, written to config.json at deploy time (the page reads it at load). */
  apiUrl: string;
  removalPolicy: RemovalPolicy;
  /** How long the deployment function's logs are kept (the stack's retention). */
  logRetention: logs.RetentionDays;
  /** Other origins the page may call (an API custom domain, `https://api.example.org`). */
  extraApiOrigins?: readonly string[];
  /** The built files; default: infra/dashboard, built at synth when its output is missing or stale. */
  assetDirectory?: string;
}

/**
 * The web dashboard: its static files in a private bucket (all public access blocked, TLS only,
 * no ACL) that only this distribution may read, through origin access control; viewers are
 * redirected to HTTPS and get strict security headers. The page calls the admin API directly,
 * so its origin must be in the API's CORS_ALLOW_ORIGINS (the stateless stack adds `url`).
 */
export class Dashboard extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** https://<id>.cloudfront.net: where operators open the dashboard, and the API's allowed origin. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });

    // Any API Gateway API of the region, not this API's own host: the API's function lists the
    // distribution as an allowed origin, so naming the API here would be a circular reference.
    const { region, urlSuffix } = Stack.of(this);
    const apiOrigin = [`https://*.execute-api.${region}.${urlSuffix}`, ...(props.extraApiOrigins ?? [])].join(' ');
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Worker manager dashboard: strict security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: `default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ${apiOrigin}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Worker manager dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    // The copying function gets a role and a log group of its own: CDK's default role carries the
    // managed AWSLambdaBasicExecutionRole (logs anywhere), and a cache invalidation would need
    // cloudfront:CreateInvalidation on "*". No invalidation instead: every file is served
    // `no-cache`, so CloudFront and browsers revalidate it (an ETag round trip for a 30 KB page)
    // and a deploy is seen at once.
    const deployLogs = new logs.LogGroup(this, 'DeployLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    const deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the dashboard files into their bucket at deploy time',
    });
    deployLogs.grantWrite(deployRole);
    new s3deploy.BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      sources: [s3deploy.Source.asset(props.assetDirectory ?? ensureDashboardBuilt()), s3deploy.Source.jsonData('config.json', { apiUrl: props.apiUrl })],
      cacheControl: [s3deploy.CacheControl.noCache()],
      role: deployRole,
      logGroup: deployLogs,
      prune: true,
      retainOnDelete: props.removalPolicy === RemovalPolicy.RETAIN,
    });
  }
}
