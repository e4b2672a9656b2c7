// Beyond one machine: two signaling instances sharing rooms through a real Redis, with a
// browser on each. They must find each other, chat, and keep doing so after Redis restarts.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { inject } from 'vitest'
import type { Browser } from 'playwright-core'
import { startSignalingServer, type SignalingServer } from '../../signaling/index.js'
import { startRedis, type RedisHandle } from '../signaling/redis-harness.js'
import {
  expectMessages,
  joinRoom,
  launchChromium,
  roomUrl,
  sendMessage,
  serveStatic,
  shownMembers,
  uniqueRoom,
  type Running,
} from './harness.js'

let redis: RedisHandle
let site: Running
let first: SignalingServer
let second: SignalingServer
let alice: Browser
let bob: Browser

beforeAll(async () => {
  redis = await startRedis()
  site = await serveStatic(inject('siteDir'))
  first = await startSignalingServer({ port: 0, host: '127.0.0.1', redisUrl: redis.url })
  second = await startSignalingServer({ port: 0, host: '127.0.0.1', redisUrl: redis.url })
  ;[alice, bob] = await Promise.all([launchChromium(), launchChromium()])
})

afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()])
  await Promise.allSettled([first?.close(), second?.close(), site?.close()])
  await redis?.stop()
})

it('two browsers on two signaling instances find each other through Redis, also after Redis restarts', async () => {
  const room = uniqueRoom('redis')
  const a = await joinRoom(alice, roomUrl(site.url, first.url, room), 'Alice')
  const b = await joinRoom(bob, roomUrl(site.url, second.url, room), 'Bob')
  await expect.poll(() => shownMembers(a), { timeout: 15_000 }).toContain('Bob')
  await sendMessage(a, 'hello across instances')
  await expectMessages(b, ['Alice: hello across instances'])

  // Redis goes away and comes back on the same port; a newcomer on the second instance must
  // still be found by Alice on the first. Bob leaves first, so nobody can relay between them.
  await b.close()
  await expect.poll(() => shownMembers(a), { timeout: 15_000 }).toEqual(['Alice (you)'])
  const port = redis.port
  await redis.stop('SIGKILL')
  redis = await startRedis(port)
  const carolBrowser = await launchChromium()
  try {
    const c = await joinRoom(carolBrowser, roomUrl(site.url, second.url, room), 'Carol')
    await expect.poll(() => shownMembers(a), { timeout: 20_000 }).toContain('Carol')
    await expectMessages(c, ['Alice: hello across instances'])
  } finally {
    await carolBrowser.close()
  }
  await a.close()
})
