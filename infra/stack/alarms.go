package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/portcullis-authz/portcullis/shared/audit"
)

const alarmPeriodMinutes = 5

// addAlarms raises CloudWatch alarms on authorizer failures, 5XX answers
// and latency.
//
// The authorizer functions' Lambda Errors metric is useless here: every
// 401 is an error return ("Unauthorized") by API Gateway's contract. So
// authorizer failures are counted where they are unambiguous: in the REST
// access log (error type AUTHORIZER_FAILURE or
// AUTHORIZER_CONFIGURATION_ERROR: crashes, timeouts and fail-closed
// errors alike) and in the functions' own audit metrics (outcome error).
func (s *PortcullisStack) addAlarms() {
	a := s.props.Alarms
	period := awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))
	var topic awssns.ITopic
	if s.props.AlarmTopicARN != "" {
		topic = awssns.Topic_FromTopicArn(s.Stack, jsii.String("AlarmTopic"), jsii.String(s.props.AlarmTopicARN))
	}
	alarm := func(id, desc string, m awscloudwatch.IMetric, threshold float64, evals, toAlarm int) {
		al := awscloudwatch.NewAlarm(s.Stack, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             m,
			AlarmDescription:   jsii.String(desc),
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(float64(evals)),
			DatapointsToAlarm:  jsii.Number(float64(toAlarm)),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if topic != nil {
			al.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
			al.AddOkAction(awscloudwatchactions.NewSnsAction(topic))
		}
	}

	ns := "Portcullis/" + *s.StackName()
	awslogs.NewMetricFilter(s.Stack, jsii.String("RestAuthorizerFailuresFilter"), &awslogs.MetricFilterProps{
		LogGroup: s.restAccessLogs,
		FilterPattern: awslogs.FilterPattern_Any(
			awslogs.FilterPattern_StringValue(jsii.String("$.errorType"), jsii.String("="), jsii.String("AUTHORIZER_FAILURE")),
			awslogs.FilterPattern_StringValue(jsii.String("$.errorType"), jsii.String("="), jsii.String("AUTHORIZER_CONFIGURATION_ERROR")),
		),
		MetricNamespace: jsii.String(ns),
		MetricName:      jsii.String("AuthorizerFailures"),
		MetricValue:     jsii.String("1"),
		DefaultValue:    jsii.Number(0),
	})
	alarm("RestAuthorizerFailuresAlarm",
		fmt.Sprintf("REST requests answered 500 because an authorizer failed (error, timeout, crash): at least %g in %d minutes. Look at the authorizer's log group.", a.AuthorizerFailures, alarmPeriodMinutes),
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(ns), MetricName: jsii.String("AuthorizerFailures"), Statistic: jsii.String("Sum"), Period: period}),
		a.AuthorizerFailures, 1, 1)

	for _, az := range s.Plan.Authorizers {
		fn := s.Functions[az.Name]
		id := constructID(az.Function)
		alarm(id+"ErrorsAlarm",
			fmt.Sprintf("The %s authorizer failed closed (outcome error in its audit line) at least %g times in %d minutes.", az.Name, a.AuthorizerFailures, alarmPeriodMinutes),
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String(audit.Namespace),
				MetricName:    jsii.String("Decisions"),
				DimensionsMap: &map[string]*string{"Authorizer": jsii.String(az.Name), "Outcome": jsii.String("error")},
				Statistic:     jsii.String("Sum"),
				Period:        period,
			}),
			a.AuthorizerFailures, 1, 1)
		alarm(id+"DurationAlarm",
			fmt.Sprintf("The %s authorizer's p99 duration reached %s (2 of 3 periods of %d minutes).", az.Name, a.AuthorizerDuration, alarmPeriodMinutes),
			fn.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: period}),
			float64(a.AuthorizerDuration.Milliseconds()), 3, 2)
	}

	stage := s.RestAPI.DeploymentStage()
	alarm("Rest5XXAlarm",
		fmt.Sprintf("At least %g%% of REST requests answered 5XX (2 of 3 periods of %d minutes).", a.ServerErrorRate*100, alarmPeriodMinutes),
		stage.MetricServerError(&awscloudwatch.MetricOptions{Statistic: jsii.String("Average"), Period: period}),
		a.ServerErrorRate, 3, 2)
	alarm("RestLatencyAlarm",
		fmt.Sprintf("REST p99 latency reached %s (2 of 3 periods of %d minutes).", a.Latency, alarmPeriodMinutes),
		stage.MetricLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: period}),
		float64(a.Latency.Milliseconds()), 3, 2)
	if s.HTTPAPI != nil {
		alarm("Http5XXAlarm",
			fmt.Sprintf("At least %g%% of HTTP API requests answered 5XX (2 of 3 periods of %d minutes).", a.ServerErrorRate*100, alarmPeriodMinutes),
			s.HTTPAPI.MetricServerError(&awscloudwatch.MetricOptions{Statistic: jsii.String("Average"), Period: period}),
			a.ServerErrorRate, 3, 2)
		alarm("HttpLatencyAlarm",
			fmt.Sprintf("HTTP API p99 latency reached %s (2 of 3 periods of %d minutes).", a.Latency, alarmPeriodMinutes),
			s.HTTPAPI.MetricLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: period}),
			float64(a.Latency.Milliseconds()), 3, 2)
	}
}
