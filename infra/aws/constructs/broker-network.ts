import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

// private broker --> (this VPC) <-- functions and event source mappings; AWS services through endpoints, no internet

/**
 * The AWS services reached from inside the VPC, each by an interface endpoint: the functions read
 * their broker secret (Secrets Manager), invoke run-bulk-jobs (Lambda) and send traces (X-Ray); the
 * event source mappings' pollers, which run in the broker's subnets with its security group, need
 * Lambda, STS and Secrets Manager ("Process Amazon MQ messages with Lambda": network configuration).
 * DynamoDB has a gateway endpoint (no hourly charge). CloudWatch Logs needs none: Lambda ships the
 * logs itself.
 */
export const INTERFACE_ENDPOINTS = {
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
} as const;

export interface BrokerNetworkProps {
  availabilityZones: number;
}

/**
 * A VPC with isolated subnets only (no internet gateway, no NAT), the endpoints above, and three
 * security groups: the broker's (AMQPS 5671 and the management API on 443 from the functions, and
 * 5671 from itself for the pollers), the functions' (no inbound), the endpoints' (443 from both).
 */
export class BrokerNetwork extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly brokerSecurityGroup: ec2.SecurityGroup;
  public readonly functionsSecurityGroup: ec2.SecurityGroup;
  public readonly endpointsSecurityGroup: ec2.SecurityGroup;

  public constructor(scope: Construct, id: string, props: BrokerNetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.availabilityZones,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      gatewayEndpoints: { DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    this.brokerSecurityGroup = new ec2.SecurityGroup(this, 'BrokerSecurityGroup', {
      vpc: this.vpc,
      description: 'Amazon MQ broker and the event source pollers that run with its security group',
      allowAllOutbound: true,
    });
    this.functionsSecurityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'Worker manager functions',
      allowAllOutbound: true,
    });
    this.endpointsSecurityGroup = new ec2.SecurityGroup(this, 'EndpointsSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface endpoints of the AWS services the functions and pollers call',
      allowAllOutbound: false,
    });
    const amqps = ec2.Port.tcp(5671);
    const https = ec2.Port.tcp(443);
    this.brokerSecurityGroup.addIngressRule(this.functionsSecurityGroup, amqps, 'AMQPS from the functions');
    this.brokerSecurityGroup.addIngressRule(this.functionsSecurityGroup, https, 'management API from the topology step');
    this.brokerSecurityGroup.addIngressRule(this.brokerSecurityGroup, amqps, 'AMQPS from the event source pollers');
    this.endpointsSecurityGroup.addIngressRule(this.functionsSecurityGroup, https, 'AWS APIs from the functions');
    this.endpointsSecurityGroup.addIngressRule(this.brokerSecurityGroup, https, 'AWS APIs from the event source pollers');
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true, securityGroups: [this.endpointsSecurityGroup], open: false });
    }
  }

  /** The subnets of the broker: one for a single instance, every zone's for a cluster. */
  public brokerSubnetIds(deploymentMode: 'SINGLE_INSTANCE' | 'CLUSTER_MULTI_AZ'): string[] {
    const ids = this.vpc.isolatedSubnets.map((subnet) => subnet.subnetId);
    return deploymentMode === 'SINGLE_INSTANCE' ? ids.slice(0, 1) : ids;
  }
}
