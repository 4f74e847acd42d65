# AWS: the activation token from Secrets Manager with the instance role's credentials (IMDSv2),
# the request signed here with SigV4 (AWS IAM User Guide, "Create a signed AWS API request"): no
# module to load (importing AWS Tools takes long at first boot), and in process, so no command line
# carries the token or the role's keys. AccessDeniedException is a grant that has not reached the
# secret yet: retried until the deadline.
$Imds = 'http://169.254.169.254/latest'
function Get-Sha256Hex([byte[]]$Data) { -join ([Security.Cryptography.SHA256]::Create().ComputeHash($Data) | ForEach-Object { $_.ToString('x2') }) }
function Get-HmacSha256([byte[]]$Key, [string]$Text) { [Security.Cryptography.HMACSHA256]::new($Key).ComputeHash([Text.Encoding]::UTF8.GetBytes($Text)) }
function Get-CloudTokenOnce {
    try {
        $session = Invoke-RestMethod -Method Put -Uri "$Imds/api/token" -Headers @{ 'X-aws-ec2-metadata-token-ttl-seconds' = '300' } -TimeoutSec 5
        $h = @{ 'X-aws-ec2-metadata-token' = "$session" }
        $role = ("$(Invoke-RestMethod -Uri "$Imds/meta-data/iam/security-credentials/" -Headers $h -TimeoutSec 5)" -split "`n")[0].Trim()
        $creds = (Invoke-WebRequest -UseBasicParsing -Uri "$Imds/meta-data/iam/security-credentials/$role" -Headers $h -TimeoutSec 5).Content | ConvertFrom-Json
    } catch { throw "no instance role credentials from IMDSv2 (does the VM have an instance profile?): $($_.Exception.Message)" }
    $endpoint = "secretsmanager.$AwsRegion.amazonaws.com"
    $amzDate = (Get-Date).ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", [Globalization.CultureInfo]::InvariantCulture)
    $scope = "$($amzDate.Substring(0, 8))/$AwsRegion/secretsmanager/aws4_request"
    $body = [Text.Encoding]::UTF8.GetBytes((@{ SecretId = $TokenSecretName } | ConvertTo-Json -Compress))
    $signed = [ordered]@{ 'content-type' = 'application/x-amz-json-1.1'; host = $endpoint; 'x-amz-date' = $amzDate; 'x-amz-security-token' = $creds.Token; 'x-amz-target' = 'secretsmanager.GetSecretValue' }
    $names = $signed.Keys -join ';'
    $canonical = "POST`n/`n`n" + (($signed.Keys | ForEach-Object { "${_}:$($signed[$_])`n" }) -join '') + "`n$names`n" + (Get-Sha256Hex $body)
    $key = [Text.Encoding]::UTF8.GetBytes("AWS4$($creds.SecretAccessKey)")
    foreach ($part in $scope.Split('/')) { $key = Get-HmacSha256 $key $part }
    $signature = -join ((Get-HmacSha256 $key "AWS4-HMAC-SHA256`n$amzDate`n$scope`n$(Get-Sha256Hex ([Text.Encoding]::UTF8.GetBytes($canonical)))") | ForEach-Object { $_.ToString('x2') })
    $headers = @{ 'X-Amz-Date' = $amzDate; 'X-Amz-Security-Token' = $creds.Token; 'X-Amz-Target' = 'secretsmanager.GetSecretValue'; Authorization = "AWS4-HMAC-SHA256 Credential=$($creds.AccessKeyId)/$scope, SignedHeaders=$names, Signature=$signature" }
    try { $answer = Send-SecretsManager "https://$endpoint/" $headers $body }
    catch { throw "Secrets Manager GetSecretValue failed with role ${role}: $($_.Exception.Message)" }
    if ($answer.Status -ne 200) {
        $why = "Secrets Manager GetSecretValue failed with role ${role}: HTTP $($answer.Status) $($answer.Body)"
        if ($answer.Body -match 'AccessDeniedException') { throw (New-Object UnauthorizedAccessException $why) }
        throw $why
    }
    ($answer.Body | ConvertFrom-Json).SecretString
}
# HttpClient, not Invoke-RestMethod: PowerShell 7 refuses a SigV4 Authorization value as malformed
# (its parser wants RFC 7235 tokens); TryAddWithoutValidation sends it as is, on 5.1 and 7 alike.
function Send-SecretsManager([string]$Uri, [hashtable]$Headers, [byte[]]$Body) {
    Add-Type -AssemblyName System.Net.Http
    $handler = New-Object Net.Http.HttpClientHandler
    if ($Proxy) { $handler.Proxy = New-Object Net.WebProxy($Proxy); $handler.UseProxy = $true }
    $client = New-Object Net.Http.HttpClient($handler)
    $client.Timeout = [TimeSpan]::FromSeconds(30)
    $request = New-Object Net.Http.HttpRequestMessage([Net.Http.HttpMethod]::Post, $Uri)
    $request.Content = New-Object Net.Http.ByteArrayContent(, $Body)
    [void]$request.Content.Headers.TryAddWithoutValidation('Content-Type', 'application/x-amz-json-1.1')
    foreach ($name in $Headers.Keys) { [void]$request.Headers.TryAddWithoutValidation($name, $Headers[$name]) }
    try {
        $response = $client.SendAsync($request).GetAwaiter().GetResult()
        [pscustomobject]@{ Status = [int]$response.StatusCode; Body = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
    } finally { $client.Dispose() }
}
