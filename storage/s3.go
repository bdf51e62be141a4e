package storage

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob/s3blob"
)

// s3Params are the URL query parameters s3:// accepts; others are errors.
var s3Params = map[string]bool{"endpoint": true, "region": true, "use_path_style": true, "profile": true}

func openS3(ctx context.Context, u *url.URL, cfg S3Config) (*Bucket, error) {
	canon := "s3://" + u.Host + strings.TrimSuffix(u.Path, "/")
	if u.Host == "" {
		return nil, badURL(u.Redacted(), "missing bucket name (want s3://bucket/prefix)")
	}
	if u.User != nil {
		return nil, badURL(canon, "credentials in the URL are not accepted; use AWS_* env vars or storage.s3 config")
	}
	cfg, err := applyS3Query(cfg, u.Query())
	if err != nil {
		return nil, badURL(canon, "%v", err)
	}
	client, awsCfg, err := newS3Client(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", canon, err)
	}
	bb, err := s3blob.OpenBucket(ctx, client, u.Host, &s3blob.Options{
		RequestChecksumCalculation: awsCfg.RequestChecksumCalculation,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", canon, err)
	}
	b := &Bucket{b: bb, url: "s3://" + u.Host, owner: true}
	if err := b.checkAccessible(ctx); err != nil {
		bb.Close()
		return nil, err
	}
	if prefix := strings.Trim(u.Path, "/"); prefix != "" {
		sub, err := b.Sub(prefix)
		if err != nil {
			bb.Close()
			return nil, err
		}
		sub.owner = true
		return sub, nil
	}
	return b, nil
}

func applyS3Query(cfg S3Config, q url.Values) (S3Config, error) {
	for k := range q {
		if !s3Params[k] {
			return cfg, fmt.Errorf("unknown s3 URL parameter %q (known: endpoint, region, use_path_style, profile)", k)
		}
	}
	if v := q.Get("endpoint"); v != "" {
		cfg.Endpoint = v
	}
	if v := q.Get("region"); v != "" {
		cfg.Region = v
	}
	if v := q.Get("profile"); v != "" {
		cfg.Profile = v
	}
	if v := q.Get("use_path_style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("s3 URL parameter use_path_style=%q: want true or false", v)
		}
		cfg.PathStyle = b
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = firstNonEmpty(os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("AWS_ENDPOINT_URL"))
	}
	if cfg.Endpoint != "" {
		if _, err := url.ParseRequestURI(cfg.Endpoint); err != nil || !strings.HasPrefix(cfg.Endpoint, "http") {
			return cfg, fmt.Errorf("storage.s3.endpoint %q: want http(s)://host:port", cfg.Endpoint)
		}
		cfg.PathStyle = true // virtual-host style needs DNS a local store does not have
	}
	return cfg, nil
}

// NewS3Client builds the aws-sdk-go-v2 client Open uses for cfg (exported for
// tools and tests that need raw S3 calls, such as creating a bucket).
func NewS3Client(ctx context.Context, cfg S3Config) (*s3.Client, error) {
	cfg, err := applyS3Query(cfg, nil)
	if err != nil {
		return nil, err
	}
	c, _, err := newS3Client(ctx, cfg)
	return c, err
}

func newS3Client(ctx context.Context, cfg S3Config) (*s3.Client, aws.Config, error) {
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = cfg.ConnectTimeout }).
		WithTransportOptions(func(t *http.Transport) { t.ResponseHeaderTimeout = cfg.ResponseHeaderTimeout })
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = cfg.MaxAttempts
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	} else if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		opts = append(opts, config.WithRegion("us-east-1"))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			cfg.AccessKeyID, cfg.SecretAccessKey.Reveal(), cfg.SessionToken.Reveal())))
	}
	if cfg.CABundle != "" {
		pem, err := os.Open(cfg.CABundle)
		if err != nil {
			return nil, aws.Config{}, fmt.Errorf("storage.s3.ca_bundle: %w", err)
		}
		defer pem.Close()
		opts = append(opts, config.WithCustomCABundle(pem))
	}
	if cfg.Endpoint != "" {
		// S3-compatible servers reject or mangle the 2025 SDK's default CRC32 trailers.
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, aws.Config{}, err
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
	})
	return client, awsCfg, nil
}

// checkAccessible turns a missing bucket, bad credentials or an unreachable
// endpoint into one clear error at open time instead of at the first write.
func (b *Bucket) checkAccessible(ctx context.Context) error {
	ok, err := b.b.IsAccessible(ctx)
	if err != nil {
		return &Error{Op: "open", URL: b.url, Err: explainS3(err)}
	}
	if !ok {
		return &Error{Op: "open", URL: b.url, Err: fmt.Errorf("bucket does not exist (or is not visible to these credentials): %w", ErrNotFound)}
	}
	return nil
}

func explainS3(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "InvalidAccessKeyId"), strings.Contains(msg, "SignatureDoesNotMatch"),
		strings.Contains(msg, "AccessDenied"), strings.Contains(msg, "StatusCode: 403"):
		return fmt.Errorf("credentials refused (check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or storage.s3.*): %w: %w", ErrDenied, err)
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"),
		strings.Contains(msg, "i/o timeout"), strings.Contains(msg, "deadline exceeded"):
		return fmt.Errorf("endpoint unreachable: %w", err)
	case strings.Contains(msg, "exceeded maximum number of attempts"):
		return fmt.Errorf("the store kept failing, retries exhausted (storage.s3.max_attempts): %w", err)
	}
	return err
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
