# AWS: requests signed with the instance role's credentials (IMDSv2), SigV4 done here (AWS IAM User
# Guide, "Create a signed AWS API request"): no module to load (importing AWS Tools takes long at first
# boot), and in process, so no command line carries the role's keys. The activation token's read
# (secret.ps1) and the Agent Installer package's download (installer.ps1) use it.
$Imds = 'http://169.254.169.254/latest'
function Get-Sha256Hex([byte[]]$Data) { -join ([Security.Cryptography.SHA256]::Create().ComputeHash($Data) | ForEach-Object { $_.ToString('x2') }) }
function Get-HmacSha256([byte[]]$Key, [string]$Text) { [Security.Cryptography.HMACSHA256]::new($Key).ComputeHash([Text.Encoding]::UTF8.GetBytes($Text)) }
function Get-DskitRoleCredentials {
    try {
        $session = Invoke-RestMethod -Method Put -Uri "$Imds/api/token" -Headers @{ 'X-aws-ec2-metadata-token-ttl-seconds' = '300' } -TimeoutSec 5
        $h = @{ 'X-aws-ec2-metadata-token' = "$session" }
        $role = ("$(Invoke-RestMethod -Uri "$Imds/meta-data/iam/security-credentials/" -Headers $h -TimeoutSec 5)" -split "`n")[0].Trim()
        $creds = (Invoke-WebRequest -UseBasicParsing -Uri "$Imds/meta-data/iam/security-credentials/$role" -Headers $h -TimeoutSec 5).Content | ConvertFrom-Json
    } catch { throw "no instance role credentials from IMDSv2 (does the VM have an instance profile?): $($_.Exception.Message)" }
    $creds | Add-Member -NotePropertyName Role -NotePropertyValue $role -PassThru
}
# The headers to send with a request to https://$HostName$Path: $Signed (lower-case names, host
# included) signed with the date and session token, and the Authorization (SignedHeaders sorted
# ordinally, as SigV4 wants). The path is sent and signed as given: plain ASCII, nothing to encode.
function New-DskitSigV4Headers([string]$Method, [string]$HostName, [string]$Path, [string]$Service, [hashtable]$Signed, [byte[]]$Body, $Creds) {
    $amzDate = (Get-Date).ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", [Globalization.CultureInfo]::InvariantCulture)
    $scope = "$($amzDate.Substring(0, 8))/$AwsRegion/$Service/aws4_request"
    $all = @{ host = $HostName; 'x-amz-date' = $amzDate; 'x-amz-security-token' = $Creds.Token }
    foreach ($k in $Signed.Keys) { $all[$k] = $Signed[$k] }
    [string[]]$names = @($all.Keys)
    [Array]::Sort($names, [StringComparer]::Ordinal)
    $canonical = "$Method`n$Path`n`n" + (($names | ForEach-Object { "${_}:$($all[$_])`n" }) -join '') + "`n$($names -join ';')`n" + (Get-Sha256Hex $Body)
    $key = [Text.Encoding]::UTF8.GetBytes("AWS4$($Creds.SecretAccessKey)")
    foreach ($part in $scope.Split('/')) { $key = Get-HmacSha256 $key $part }
    $signature = -join ((Get-HmacSha256 $key "AWS4-HMAC-SHA256`n$amzDate`n$scope`n$(Get-Sha256Hex ([Text.Encoding]::UTF8.GetBytes($canonical)))") | ForEach-Object { $_.ToString('x2') })
    $headers = @{ Authorization = "AWS4-HMAC-SHA256 Credential=$($Creds.AccessKeyId)/$scope, SignedHeaders=$($names -join ';'), Signature=$signature" }
    foreach ($k in $all.Keys) { if ($k -ne 'host') { $headers[$k] = $all[$k] } }
    $headers
}
# HttpClient, not Invoke-RestMethod: PowerShell 7 refuses a SigV4 Authorization value as malformed
# (its parser wants RFC 7235 tokens); TryAddWithoutValidation sends it as is, on 5.1 and 7 alike. A
# 200 with $OutFile streams the body there; otherwise the body comes back as text.
function Send-DskitSigned([string]$Method, [string]$Uri, [hashtable]$Headers, [byte[]]$Body, [string]$OutFile) {
    Add-Type -AssemblyName System.Net.Http
    $handler = New-Object Net.Http.HttpClientHandler
    if ($Proxy) { $handler.Proxy = New-Object Net.WebProxy($Proxy); $handler.UseProxy = $true }
    $client = New-Object Net.Http.HttpClient($handler)
    $client.Timeout = [TimeSpan]::FromSeconds([Math]::Max(30, [Math]::Min(600, (Get-DskitTimeLeft))))
    $request = New-Object Net.Http.HttpRequestMessage((New-Object Net.Http.HttpMethod($Method)), $Uri)
    if ($Body.Length -gt 0) { $request.Content = New-Object Net.Http.ByteArrayContent(, $Body) }
    foreach ($name in $Headers.Keys) {
        if ($name -eq 'content-type') { [void]$request.Content.Headers.TryAddWithoutValidation('Content-Type', $Headers[$name]) }
        else { [void]$request.Headers.TryAddWithoutValidation($name, $Headers[$name]) }
    }
    try {
        $response = $client.SendAsync($request, [Net.Http.HttpCompletionOption]::ResponseHeadersRead).GetAwaiter().GetResult()
        $status = [int]$response.StatusCode
        if ($status -eq 200 -and $OutFile) {
            $out = [IO.File]::Create($OutFile)
            try { $response.Content.CopyToAsync($out).GetAwaiter().GetResult() } finally { $out.Close() }
            return [pscustomobject]@{ Status = $status; Body = '' }
        }
        [pscustomobject]@{ Status = $status; Body = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
    } finally { $client.Dispose() }
}
