"""Prepares a fresh moto server for ferry's S3 tests (see moto_server.h).

usage: moto_setup.py ENDPOINT_URL BUCKET... [lock:BUCKET...]

Creates an IAM user allowed s3:* with an access key, creates the buckets (lock: ones with object
lock enabled), then turns on moto's request authentication so that every later request must carry
a valid SigV4 signature made with that key. Prints "ACCESS_KEY_ID SECRET_ACCESS_KEY".
"""
import json
import sys
import urllib.request

import boto3

endpoint = sys.argv[1]
# moto does not check credentials until authentication is turned on at the end.
bootstrap = dict(endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam = boto3.client("iam", **bootstrap)
iam.create_user(UserName="ferry")
key = iam.create_access_key(UserName="ferry")["AccessKey"]
iam.put_user_policy(UserName="ferry", PolicyName="s3-all", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
s3 = boto3.client("s3", **bootstrap)
for name in sys.argv[2:]:
    if name.startswith("lock:"):
        s3.create_bucket(Bucket=name[5:], ObjectLockEnabledForBucket=True)
    else:
        s3.create_bucket(Bucket=name)
request = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
urllib.request.urlopen(request, timeout=30).read()
print(key["AccessKeyId"], key["SecretAccessKey"])
