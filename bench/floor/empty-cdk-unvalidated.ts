// The AWS floor with the app's own setting: built-in CloudFormation validation off.
import { App, Stack } from 'aws-cdk-lib';

const app = new App({ builtinCloudFormationValidation: false });
new Stack(app, 'empty');
app.synth();
