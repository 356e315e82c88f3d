import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { freePort } from '../../local/local-stack';
import { startSqsEmulator } from '../../local/sqs-emulator';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function emulator(messagesFile?: string) {
  const server = await startSqsEmulator({ port: await freePort(), messagesFile });
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: server.endpoint, credentials });
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'unit-dlq' }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: 'unit',
        Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
      }),
    )
  ).QueueUrl!;
  return {
    server,
    sqs,
    url,
    dlqUrl,
    stop: async () => {
      sqs.destroy();
      await server.close();
    },
  };
}

const receive = async (sqs: SQSClient, url: string, max = 10) =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    )
  ).Messages ?? [];

describe('the local SQS emulator', () => {
  test('a visibility change (a poller heartbeat) is not a receive: a message kept busy by heartbeats and then failed is received again, not sent to its DLQ', async () => {
    const q = await emulator();
    try {
      await q.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'busy' }));
      const [first] = await receive(q.sqs, q.url);
      expect(first!.Attributes!.ApproximateReceiveCount).toBe('1');
      // Five heartbeats, as a poller sends while its handler works for a few seconds.
      for (let i = 0; i < 5; i++)
        await q.sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: q.url, ReceiptHandle: first!.ReceiptHandle!, VisibilityTimeout: 1 }),
        );
      await sleep(1_300);

      const [second] = await receive(q.sqs, q.url);
      expect(second?.Body).toBe('busy');
      expect(second!.Attributes!.ApproximateReceiveCount).toBe('2');
      expect(await receive(q.sqs, q.dlqUrl)).toEqual([]);

      // The second failed receive reaches maxReceiveCount (2): now it is parked.
      await sleep(1_300);
      const parked = await receive(q.sqs, q.dlqUrl);
      expect(parked.map((m) => m.Body)).toEqual(['busy']);
      expect(parked[0]!.Attributes!.DeadLetterQueueSourceArn).toMatch(/:unit$/);
    } finally {
      await q.stop();
    }
  }, 15_000);

  test('close() saves every message held (waiting, in flight, parked); the next start restores them in order with their attributes', async () => {
    const messagesFile = path.join(mkdtempSync(path.join(tmpdir(), 'hivis-sqs-')), 'sqs-messages.json');
    const before = await emulator(messagesFile);
    const sent: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const out = await before.sqs.send(
        new SendMessageCommand({
          QueueUrl: before.url,
          MessageBody: `m${i}`,
          MessageAttributes: { origin: { DataType: 'String', StringValue: `o${i}` } },
        }),
      );
      sent.push(out.MessageId!);
    }
    // m1 is in flight, m2 is deleted (processed), the rest wait.
    const [inFlight] = await receive(before.sqs, before.url, 1);
    const [processed] = await receive(before.sqs, before.url, 1);
    await before.sqs.send(new DeleteMessageCommand({ QueueUrl: before.url, ReceiptHandle: processed!.ReceiptHandle! }));
    expect([inFlight!.Body, processed!.Body]).toEqual(['m1', 'm2']);
    await before.stop();

    const saved = JSON.parse(readFileSync(messagesFile, 'utf8')) as { queues: Record<string, { body: string }[]> };
    expect(saved.queues.unit!.map((m) => m.body)).toEqual(['m1', 'm3', 'm4', 'm5']);

    const after = await emulator(messagesFile);
    try {
      expect(await after.server.restoreSaved()).toBe(4);
      expect(existsSync(messagesFile)).toBe(false);
      const restored = await receive(after.sqs, after.url);
      expect(restored.map((m) => m.Body)).toEqual(['m1', 'm3', 'm4', 'm5']);
      expect(restored.map((m) => m.MessageId)).toEqual([sent[0], sent[2], sent[3], sent[4]]);
      expect(restored.map((m) => m.MessageAttributes?.origin?.StringValue)).toEqual(['o1', 'o3', 'o4', 'o5']);
      // m1 had been received once before the stop: a durable queue remembers it.
      expect(restored.map((m) => m.Attributes!.ApproximateReceiveCount)).toEqual(['2', '1', '1', '1']);
    } finally {
      await after.stop();
    }
  }, 15_000);

  test('a parked message keeps the source a redrive needs across a restart', async () => {
    const messagesFile = path.join(mkdtempSync(path.join(tmpdir(), 'hivis-sqs-')), 'sqs-messages.json');
    const before = await emulator(messagesFile);
    await before.sqs.send(new SendMessageCommand({ QueueUrl: before.url, MessageBody: 'poison' }));
    await receive(before.sqs, before.url);
    await sleep(1_200);
    await receive(before.sqs, before.url);
    await sleep(1_200);
    await before.stop();

    const after = await emulator(messagesFile);
    try {
      await after.server.restoreSaved();
      const parked = await receive(after.sqs, after.dlqUrl);
      expect(parked.map((m) => m.Body)).toEqual(['poison']);
      expect(parked[0]!.Attributes!.DeadLetterQueueSourceArn).toMatch(/:unit$/);
      expect(await receive(after.sqs, after.url)).toEqual([]);
    } finally {
      await after.stop();
    }
  }, 15_000);

  test('an unreadable saved file is set aside with one line; the queues start empty', async () => {
    const messagesFile = path.join(mkdtempSync(path.join(tmpdir(), 'hivis-sqs-')), 'sqs-messages.json');
    writeFileSync(messagesFile, '{"queues": {"unit": [{"messageId": 1');
    const lines: string[] = [];
    const server = await startSqsEmulator({ port: await freePort(), messagesFile, log: (l) => lines.push(l) });
    try {
      expect(await server.restoreSaved()).toBe(0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/could not be read/);
      expect(existsSync(`${messagesFile}.unreadable`)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('a malformed request is answered 400, and the emulator keeps serving', async () => {
    const q = await emulator();
    try {
      const response = await fetch(q.server.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: '{}',
      });
      expect(response.status).toBe(400);
      await q.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'still here' }));
      expect((await receive(q.sqs, q.url)).map((m) => m.Body)).toEqual(['still here']);
    } finally {
      await q.stop();
    }
  });
});

describe('long polls on the SQS emulator', () => {
  test('a 20-second receive answers as soon as a message is sent, not at the end of its wait', async () => {
    const { sqs, url, stop } = await emulator();
    try {
      const started = Date.now();
      const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
      await sleep(200);
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'ready' }));
      const out = await receiving;
      expect(out.Messages?.map((m) => m.Body)).toEqual(['ready']);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await stop();
    }
  });

  test('a message that becomes visible again during a wait is received in it', async () => {
    const { sqs, url, stop } = await emulator();
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
      // A wait here too: on a busy machine the first answer can come late enough for the SDK to ask again.
      expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }))).Messages).toHaveLength(1);
      // Its visibility timeout (1 s) runs out while the next receive waits.
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
      expect(out.Messages?.map((m) => m.Body)).toEqual(['again']);
    } finally {
      await stop();
    }
  });

  test('releasing the polls on a queue ends them at once, with no message', async () => {
    const { server, sqs, url, stop } = await emulator();
    try {
      const started = Date.now();
      const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
      await sleep(200);
      server.releasePolls(url);
      expect((await receiving).Messages ?? []).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await stop();
    }
  });
});
