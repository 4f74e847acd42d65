// The floor for the AWS app: an empty cdk.App with one empty stack.
import { App, Stack } from 'aws-cdk-lib';

const app = new App();
new Stack(app, 'empty');
app.synth();
