import { describe, expect, it } from 'vitest';
import { logicalId, resourcesOf, synthEnvironment, type SynthesizedEnvironment } from './synth.js';

// The web dashboard in the stateless stack: a private bucket, CloudFront with origin access control, config.json with the API's URL.

const dev = synthEnvironment('dev');
const prod = synthEnvironment('prod');

type Template = SynthesizedEnvironment['stateless'];
const only = (t: Template, type: string) => {
  const all = Object.entries(resourcesOf(t, type));
  expect(all, type).toHaveLength(1);
  return all[0]!;
};
const distributionConfig = (t: Template) => only(t, 'AWS::CloudFront::Distribution')[1].Properties!['DistributionConfig'] as Record<string, unknown>;

describe('Construct: Dashboard', () => {
  for (const [name, { stateless }] of [
    ['dev', dev],
    ['prod', prod],
  ] as const) {
    describe(name, () => {
      const [bucketId, bucket] = only(stateless, 'AWS::S3::Bucket');

      it('keeps its files in a private bucket: every public access blocked, no ACL, encrypted', () => {
        expect(bucket.Properties!['PublicAccessBlockConfiguration']).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(bucket.Properties!['OwnershipControls']).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
        expect(JSON.stringify(bucket.Properties!['BucketEncryption'])).toContain('AES256');
      });

      it('lets only this distribution read the bucket (origin access control), and refuses any request without TLS', () => {
        const [, policy] = only(stateless, 'AWS::S3::BucketPolicy');
        const statements = (policy.Properties!['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement;
        const distributionId = logicalId(stateless, 'AWS::CloudFront::Distribution', 'DashboardDistribution');
        const allows = statements.filter((statement) => statement['Effect'] === 'Allow');
        expect(allows.length).toBeGreaterThan(0);
        for (const statement of allows) {
          expect(statement['Principal']).toEqual({ Service: 'cloudfront.amazonaws.com' });
          expect(statement['Action']).toBe('s3:GetObject');
          expect(JSON.stringify(statement['Condition'])).toContain(distributionId);
        }
        expect(statements).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
        const [oacId, oac] = only(stateless, 'AWS::CloudFront::OriginAccessControl');
        expect(oac.Properties!['OriginAccessControlConfig']).toMatchObject({
          OriginAccessControlOriginType: 's3',
          SigningBehavior: 'always',
          SigningProtocol: 'sigv4',
        });
        const [origin] = distributionConfig(stateless)['Origins'] as Record<string, unknown>[];
        expect(origin!['OriginAccessControlId']).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
        expect(origin!['S3OriginConfig']).toEqual({ OriginAccessIdentity: '' });
        expect(JSON.stringify(origin!['DomainName'])).toContain(bucketId);
      });

      it('redirects viewers to HTTPS, serves GET and HEAD only, index.html at the root, with strict security headers', () => {
        const config = distributionConfig(stateless);
        expect(config['DefaultRootObject']).toBe('index.html');
        const behavior = config['DefaultCacheBehavior'] as Record<string, unknown>;
        expect(behavior['ViewerProtocolPolicy']).toBe('redirect-to-https');
        expect(behavior['AllowedMethods']).toEqual(['GET', 'HEAD']);
        expect(config['CacheBehaviors']).toBeUndefined();
        const [headersId, headers] = only(stateless, 'AWS::CloudFront::ResponseHeadersPolicy');
        expect(behavior['ResponseHeadersPolicyId']).toEqual({ Ref: headersId });
        const security = (headers.Properties!['ResponseHeadersPolicyConfig'] as { SecurityHeadersConfig: Record<string, Record<string, unknown>> })
          .SecurityHeadersConfig;
        expect(security['StrictTransportSecurity']).toMatchObject({ IncludeSubdomains: true, Override: true });
        expect(security['FrameOptions']).toMatchObject({ FrameOption: 'DENY' });
        expect(JSON.stringify(security['ContentSecurityPolicy'])).toContain("default-src 'self'");
      });

      it("writes config.json with the admin API's URL next to the built files at deploy time", () => {
        const [, deployment] = only(stateless, 'Custom::CDKBucketDeployment');
        expect(deployment.Properties!['DestinationBucketName']).toEqual({ Ref: bucketId });
        // The built dashboard and config.json.
        expect(deployment.Properties!['SourceObjectKeys']).toHaveLength(2);
        const markers = JSON.stringify(deployment.Properties!['SourceMarkers']);
        expect(markers).toContain(logicalId(stateless, 'AWS::ApiGateway::RestApi', 'AdminApiRestApi'));
        expect(deployment.Properties!['SystemMetadata']).toEqual({ 'cache-control': 'no-cache' });
      });

      it('lets the dashboard call the API from its origin (CORS), and says where it is', () => {
        const adminApi = logicalId(stateless, 'AWS::Lambda::Function', 'AdminApiFunction');
        const variables = (resourcesOf(stateless, 'AWS::Lambda::Function')[adminApi]!.Properties!['Environment'] as { Variables: Record<string, unknown> })
          .Variables;
        const distributionId = logicalId(stateless, 'AWS::CloudFront::Distribution', 'DashboardDistribution');
        expect(variables['CORS_ALLOW_ORIGINS']).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] });
        expect(JSON.stringify(stateless.toJSON()['Outputs']['DashboardUrl'])).toContain(distributionId);
      });
    });
  }

  it('keeps the operator-listed origins next to the dashboard', () => {
    const { stateless } = synthEnvironment('dev', { api: { corsAllowOrigins: ['https://admin.example.org'] } });
    const adminApi = logicalId(stateless, 'AWS::Lambda::Function', 'AdminApiFunction');
    const variables = (resourcesOf(stateless, 'AWS::Lambda::Function')[adminApi]!.Properties!['Environment'] as { Variables: Record<string, unknown> })
      .Variables;
    expect(JSON.stringify(variables['CORS_ALLOW_ORIGINS'])).toMatch(/^\{"Fn::Join":\["",\["https:\/\/admin\.example\.org,https:\/\/",/);
  });
});
