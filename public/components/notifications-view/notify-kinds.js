// What the notifications page knows about channel kinds and event kinds (the server validates the same).

/** Event kinds a rule may name, in the order the picker shows them. */
export const EVENT_KINDS = [
  'container.died', 'container.oom', 'container.unhealthy', 'container.restart_loop',
  'host.offline', 'host.online', 'host.certificate_expiring', 'host.disk_usage',
  'task.failed', 'job.failed', 'job.timed_out', 'job.recovered',
  'security.login_lockout', 'security.admin_created', 'security.audit_chain_broken',
];

/** Each channel kind's settings: [field, input type]; `secret` fields come back masked as ********. */
export const CHANNEL_FIELDS = {
  webhook: [['url', 'secret'], ['secret', 'secret'], ['method', 'method']],
  email: [['host', 'text'], ['port', 'number'], ['security', 'security'], ['username', 'text'], ['password', 'secret'],
    ['from', 'text'], ['to', 'list'], ['tls_verify', 'checkbox'], ['ca_pem', 'textarea']],
  wecom: [['key', 'secret'], ['markdown', 'checkbox'], ['base_url', 'text']],
  feishu: [['token', 'secret'], ['secret', 'secret'], ['base_url', 'text']],
  dingtalk: [['token', 'secret'], ['secret', 'secret'], ['markdown', 'checkbox'], ['base_url', 'text']],
  slack: [['url', 'secret']],
  discord: [['url', 'secret']],
  telegram: [['token', 'secret'], ['chat_id', 'text'], ['base_url', 'text']],
  ntfy: [['topic', 'text'], ['token', 'secret'], ['priority', 'number'], ['base_url', 'text']],
  gotify: [['base_url', 'text'], ['token', 'secret'], ['priority', 'number']],
};

export const MASK = '********';
