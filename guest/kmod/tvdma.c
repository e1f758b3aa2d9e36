// SPDX-License-Identifier: GPL-2.0
/*
 * tvdma: a hostile guest kernel that programs a disk controller's DMA itself,
 * so that system tests can check what the IOMMU under thinvisor lets through.
 * It drives the q35 machine's ICH9 AHCI controller (PCI 8086:2922, 00:1f.2)
 * directly, per the AHCI 1.3.1 specification, with physical addresses in the
 * PRDT: the guest sees no IOMMU, so to it a bus address is a physical address.
 *
 *   insmod tvdma.ko op=OP [phys=0x..] [sectors=N] [lba=N] [pattern=0x..]
 *                   [find=0x..] [bdf=0x..] [off=0x..] [value=0x..] [width=4|8]
 *
 * One operation per insmod, one result line
 *
 *   tvdma: OP: RESULT
 *
 * Disk operations (port: the first implemented port with a device on it;
 * lba and sectors: where on that disk, 512-byte sectors; 1 <= sectors <= 8192):
 *
 *   disk_to_mem   READ DMA EXT from the disk into physical memory at phys
 *                 (the attacker's write into memory)
 *   mem_to_disk   WRITE DMA EXT from physical memory at phys to the disk
 *                 (the attacker's read of memory)
 *   fill_disk     write the fill pattern (below) from the module's own buffer
 *   dump_disk     read into the module's own buffer and describe it:
 *                 "ok hash=0xFNV1A64 find_at=OFF|-1 head=HEX" (hash: FNV-1a
 *                 64 of all bytes; find_at: first 4-byte-aligned byte offset
 *                 holding the little-endian 32-bit value find, -1 if none or
 *                 find=0; head: the first 32 bytes in hex)
 *   selftest      fill its own buffer with the pattern, write it to the disk,
 *                 clear the buffer, read the sectors back and compare: "ok" or
 *                 "mismatch at OFF" (proves this module's DMA works)
 *
 * The fill pattern: 32-bit little-endian word i of the transfer is
 * pattern ^ i (default pattern 0x5ca1ab1e). Own-buffer operations (fill_disk,
 * dump_disk, selftest) take at most 256 sectors.
 *
 * Disk results: "ok", "error PxIS=0x.. PxTFD=0x.. PxSERR=0x.." (the
 * controller flagged a task-file error), "timeout PxCI=0x.. PxIS=0x..
 * PxTFD=0x.." (the command never completed within 5 s), or "skipped: WHY"
 * (no AHCI controller, a Linux driver owns it, no device, bad parameters,
 * or, for disk_to_mem and mem_to_disk, an IOMMU the guest kernel drives
 * translates the controller's addresses, so phys would not be a bus address).
 *
 * Raw platform accesses (for checking what the guest can see of the IOMMU):
 *
 *   cfg_read      PCI config dword at bdf (bus<<8 | dev<<3 | fn), offset off,
 *                 through ports 0xCF8/0xCFC: "value 0xXXXXXXXX"
 *   cfg_write     write value there, then read it back: "readback 0xXXXXXXXX"
 *   cfg_write_at  the same with the dword written at `port` (default 0xcfa)
 *   phys_read     ioremap phys and read width bytes (4 or 8; default 4):
 *                 "value 0x.." or "faulted" (exception caught, no oops)
 *   phys_write    write value there, read back: "readback 0x.." or "faulted"
 *
 * Init then returns -ECANCELED, so the module never stays loaded (insmod
 * prints an error; tests ignore it). An unknown op prints
 * "tvdma: unknown op 'OP'" and init returns -EINVAL. Busybox insmod's
 * init_module retry after the failed finit_module does nothing, so each insmod
 * runs its operation once (see tv_oneshot.h).
 *
 * A blocked DMA must not hurt the guest kernel: the controller then either
 * reports an error, or completes with data that is not what was asked for,
 * and this module just reports what it saw.
 */
#include <asm/asm.h>
#include <asm/io.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "tv_oneshot.h"

static char *op = "";
module_param(op, charp, 0444);
MODULE_PARM_DESC(op, "operation (see the top of tvdma.c)");

static unsigned long phys;
module_param(phys, ulong, 0444);
MODULE_PARM_DESC(phys, "physical address for disk_to_mem, mem_to_disk, phys_read, phys_write");

static unsigned int sectors = 1;
module_param(sectors, uint, 0444);
MODULE_PARM_DESC(sectors, "512-byte sectors to transfer (default 1)");

static unsigned long lba;
module_param(lba, ulong, 0444);
MODULE_PARM_DESC(lba, "first sector on the disk (default 0)");

static unsigned int pattern = 0x5ca1ab1e;
module_param(pattern, uint, 0444);
MODULE_PARM_DESC(pattern, "fill pattern: word i is pattern ^ i");

static unsigned int find;
module_param(find, uint, 0444);
MODULE_PARM_DESC(find, "dump_disk: 32-bit value to look for (0: none)");

static unsigned int bdf;
module_param(bdf, uint, 0444);
MODULE_PARM_DESC(bdf, "cfg_read/cfg_write: bus<<8 | dev<<3 | fn");

static unsigned int off;
module_param(off, uint, 0444);
MODULE_PARM_DESC(off, "cfg_read/cfg_write: config-space offset (dword aligned)");
static unsigned int port = 0xcfa;
module_param(port, uint, 0444);
MODULE_PARM_DESC(
	port,
	"cfg_write_at: the port of the dword write (0xcf9-0xcfb straddle into the data window)");

static unsigned long value;
module_param(value, ulong, 0444);
MODULE_PARM_DESC(value, "cfg_write/phys_write: value to write");

static unsigned int width = 4;
module_param(width, uint, 0444);
MODULE_PARM_DESC(width, "phys_read/phys_write: access width in bytes, 4 or 8");

static const char *cur; /* name of the running op, for the result line */

#define report(fmt, ...) pr_info("tvdma: %s: " fmt "\n", cur, ##__VA_ARGS__)

/* ---- AHCI 1.3.1 registers and structures ------------------------------- */

#define ICH9_AHCI_VENDOR 0x8086
#define ICH9_AHCI_DEVICE 0x2922
#define AHCI_ABAR_BAR 5

/* Generic host control (section 3.1). */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_PI 0x0c
#define GHC_HR (1u << 0) /* HBA reset */
#define GHC_IE (1u << 1) /* interrupt enable: kept off, we poll */
#define GHC_AE (1u << 31) /* AHCI enable */

/* Port registers (section 3.3), at 0x100 + port * 0x80. */
#define PORT_BASE(p) (0x100 + (p)*0x80)
#define PX_CLB 0x00
#define PX_CLBU 0x04
#define PX_FB 0x08
#define PX_FBU 0x0c
#define PX_IS 0x10
#define PX_IE 0x14
#define PX_CMD 0x18
#define PX_TFD 0x20
#define PX_SSTS 0x28
#define PX_SERR 0x30
#define PX_CI 0x38

#define PXCMD_ST (1u << 0) /* start: process the command list */
#define PXCMD_FRE (1u << 4) /* FIS receive enable */
#define PXCMD_FR (1u << 14) /* FIS receive running */
#define PXCMD_CR (1u << 15) /* command list running */
#define PXIS_TFES (1u << 30) /* task file error status */
#define PXIS_ERRORS 0x7dc00000u /* TFES, HBFS, HBDS, IFS, INFS, OFS, IPMS */
#define TFD_ERR (1u << 0)
#define TFD_DRQ (1u << 3)
#define TFD_BSY (1u << 7)
#define SSTS_DET_PRESENT 3 /* device present, phy communication up */

#define FIS_TYPE_REG_H2D 0x27
#define ATA_READ_DMA_EXT 0x25
#define ATA_WRITE_DMA_EXT 0x35

/* Command header (section 4.2.2): one of 32 in the 1 KiB command list. */
struct ahci_cmd_header {
	u16 flags; /* bits 4:0 CFL (FIS length in dwords), bit 6 W (write to device) */
	u16 prdtl; /* PRDT entries */
	u32 prdbc; /* bytes transferred, written by the HBA */
	u32 ctba; /* command table base, 128-byte aligned */
	u32 ctbau;
	u32 reserved[4];
} __packed;

/* Register FIS, host to device (SATA 3.x section 10.5.6). */
struct fis_reg_h2d {
	u8 fis_type;
	u8 pmport_c; /* bit 7 C: this FIS carries a command */
	u8 command;
	u8 featurel;
	u8 lba0, lba1, lba2;
	u8 device; /* bit 6: LBA addressing */
	u8 lba3, lba4, lba5;
	u8 featureh;
	u8 countl, counth;
	u8 icc, control;
	u8 reserved[4];
} __packed;

/* Physical region descriptor (section 4.2.3.3). */
struct ahci_prd {
	u32 dba; /* data base address; bit 0 must be 0 */
	u32 dbau;
	u32 reserved;
	u32 dbc; /* bits 21:0 byte count - 1 (odd: even byte count), bit 31 I */
} __packed;

/* Command table (section 4.2.3): CFIS at 0, PRDT at 0x80. One PRD is enough:
 * every transfer here is physically contiguous and at most 4 MiB. */
struct ahci_cmd_table {
	u8 cfis[64];
	u8 acmd[16];
	u8 reserved[48];
	struct ahci_prd prdt[1];
} __packed;

/* Everything the HBA reads or writes besides the data, in one coherent
 * allocation: command list (1 KiB aligned), received FIS area (256 bytes,
 * 256 aligned), command table (128 aligned). */
struct ahci_mem {
	struct ahci_cmd_header cmd_list[32]; /* offset 0, 1 KiB */
	u8 rx_fis[256]; /* offset 0x400 */
	struct ahci_cmd_table table; /* offset 0x500 */
} __aligned(1024);

#define MAX_SECTORS 8192u /* 4 MiB: one PRD's limit */
#define OWN_MAX_SECTORS 256u /* the module's own buffer: 128 KiB */
#define CMD_TIMEOUT_MS 5000

struct ahci {
	struct pci_dev *pdev;
	void __iomem *abar;
	void __iomem *port; /* the port's registers */
	unsigned int port_no;
	struct ahci_mem *mem;
	dma_addr_t mem_dma;
};

static u32 port_rd(struct ahci *h, unsigned int reg)
{
	return readl(h->port + reg);
}

static void port_wr(struct ahci *h, unsigned int reg, u32 v)
{
	writel(v, h->port + reg);
}

/* Polls until (reg & mask) == want or timeout_ms pass; true on success. */
static bool wait_reg(void __iomem *reg, u32 mask, u32 want, unsigned int timeout_ms)
{
	ktime_t end = ktime_add_ms(ktime_get(), timeout_ms);

	for (;;) {
		if ((readl(reg) & mask) == want)
			return true;
		if (ktime_after(ktime_get(), end))
			return (readl(reg) & mask) == want;
		usleep_range(50, 100);
	}
}

/* Stops the port's command and FIS-receive engines (section 10.1.2), so the
 * HBA no longer touches the command list or FIS area. */
static bool port_stop(struct ahci *h)
{
	port_wr(h, PX_CMD, port_rd(h, PX_CMD) & ~PXCMD_ST);
	if (!wait_reg(h->port + PX_CMD, PXCMD_CR, 0, 500))
		return false;
	port_wr(h, PX_CMD, port_rd(h, PX_CMD) & ~PXCMD_FRE);
	return wait_reg(h->port + PX_CMD, PXCMD_FR, 0, 500);
}

/* Finds the controller, resets it into AHCI mode and starts the first port
 * with a device on our command list. "" on success, else why not. */
static const char *ahci_open(struct ahci *h)
{
	unsigned int p;
	u32 pi;

	memset(h, 0, sizeof(*h));
	h->pdev = pci_get_device(ICH9_AHCI_VENDOR, ICH9_AHCI_DEVICE, NULL);
	if (!h->pdev)
		return "no ICH9 AHCI controller (8086:2922)";
	/* Linux's ahci driver would be programming the same registers. */
	if (h->pdev->driver)
		return "a Linux driver is bound to the AHCI controller";
	if (pci_enable_device_mem(h->pdev))
		return "pci_enable_device_mem failed";
	pci_set_master(h->pdev); /* bus mastering: the controller may DMA */
	/* Descriptors need 32-bit addresses only if CAP.S64A is clear. */
	if (dma_set_mask_and_coherent(&h->pdev->dev, DMA_BIT_MASK(32)))
		return "no 32-bit DMA mask";
	h->abar = pci_iomap(h->pdev, AHCI_ABAR_BAR, 0);
	if (!h->abar)
		return "ABAR (BAR5) could not be mapped";

	/* HBA reset (section 10.4.3) puts every port in a known, idle state,
   * whatever the firmware left; then AHCI mode, interrupts off. */
	writel(GHC_AE, h->abar + HBA_GHC);
	writel(GHC_AE | GHC_HR, h->abar + HBA_GHC);
	if (!wait_reg(h->abar + HBA_GHC, GHC_HR, 0, 1000))
		return "HBA reset did not complete";
	writel(GHC_AE, h->abar + HBA_GHC);

	pi = readl(h->abar + HBA_PI);
	for (p = 0; p < 32; p++) {
		if (!(pi & (1u << p)))
			continue;
		if ((readl(h->abar + PORT_BASE(p) + PX_SSTS) & 0xf) == SSTS_DET_PRESENT)
			break;
	}
	if (p == 32)
		return "no port with a device (PxSSTS.DET != 3)";
	h->port_no = p;
	h->port = h->abar + PORT_BASE(p);
	if (!port_stop(h))
		return "the port did not stop";

	h->mem = dma_alloc_coherent(&h->pdev->dev, sizeof(*h->mem), &h->mem_dma, GFP_KERNEL);
	if (!h->mem)
		return "no memory for the command list";
	memset(h->mem, 0, sizeof(*h->mem));

	port_wr(h, PX_CLB, lower_32_bits(h->mem_dma));
	port_wr(h, PX_CLBU, upper_32_bits(h->mem_dma));
	port_wr(h, PX_FB, lower_32_bits(h->mem_dma + offsetof(struct ahci_mem, rx_fis)));
	port_wr(h, PX_FBU, upper_32_bits(h->mem_dma + offsetof(struct ahci_mem, rx_fis)));
	port_wr(h, PX_IE, 0);
	port_wr(h, PX_SERR, ~0u); /* write-one-to-clear */
	port_wr(h, PX_IS, ~0u);

	/* FRE first, then ST once the device is idle (section 10.3.1). */
	port_wr(h, PX_CMD, port_rd(h, PX_CMD) | PXCMD_FRE);
	if (!wait_reg(h->port + PX_TFD, TFD_BSY | TFD_DRQ, 0, 1000))
		return "the device stayed busy (PxTFD.BSY/DRQ)";
	port_wr(h, PX_CMD, port_rd(h, PX_CMD) | PXCMD_ST);
	return "";
}

/* Undoes ahci_open: the port stops before the memory it uses is freed. */
static void ahci_close(struct ahci *h)
{
	if (h->port) {
		port_stop(h);
		port_wr(h, PX_CLB, 0);
		port_wr(h, PX_CLBU, 0);
		port_wr(h, PX_FB, 0);
		port_wr(h, PX_FBU, 0);
	}
	if (h->mem)
		dma_free_coherent(&h->pdev->dev, sizeof(*h->mem), h->mem, h->mem_dma);
	if (h->abar)
		pci_iounmap(h->pdev, h->abar);
	if (h->pdev) {
		if (pci_is_enabled(h->pdev))
			pci_disable_device(h->pdev);
		pci_dev_put(h->pdev);
	}
}

/*
 * One READ DMA EXT (write = false: disk to memory) or WRITE DMA EXT
 * (write = true: memory to disk) of n sectors at lba, with the data at bus
 * address buf. Returns 0 and reports nothing on success; otherwise reports
 * the error or timeout and returns -EIO.
 */
static int ahci_rw(struct ahci *h, bool write, u64 buf, u64 sector, unsigned int n)
{
	struct ahci_cmd_header *hdr = &h->mem->cmd_list[0];
	struct ahci_cmd_table *t = &h->mem->table;
	struct fis_reg_h2d *fis = (struct fis_reg_h2d *)t->cfis;
	dma_addr_t t_dma = h->mem_dma + offsetof(struct ahci_mem, table);
	ktime_t end;
	u32 is, tfd;

	memset(t, 0, sizeof(*t));
	fis->fis_type = FIS_TYPE_REG_H2D;
	fis->pmport_c = 0x80;
	fis->command = write ? ATA_WRITE_DMA_EXT : ATA_READ_DMA_EXT;
	fis->device = 1u << 6;
	fis->lba0 = sector;
	fis->lba1 = sector >> 8;
	fis->lba2 = sector >> 16;
	fis->lba3 = sector >> 24;
	fis->lba4 = sector >> 32;
	fis->lba5 = sector >> 40;
	fis->countl = n;
	fis->counth = n >> 8;

	t->prdt[0].dba = lower_32_bits(buf);
	t->prdt[0].dbau = upper_32_bits(buf);
	t->prdt[0].dbc = n * 512 - 1;

	memset(hdr, 0, sizeof(*hdr));
	hdr->flags = (sizeof(*fis) / 4) | (write ? 1u << 6 : 0);
	hdr->prdtl = 1;
	hdr->ctba = lower_32_bits(t_dma);
	hdr->ctbau = upper_32_bits(t_dma);

	port_wr(h, PX_IS, ~0u);
	port_wr(h, PX_SERR, ~0u);
	wmb(); /* the descriptors are in memory before the HBA is told */
	port_wr(h, PX_CI, 1);

	end = ktime_add_ms(ktime_get(), CMD_TIMEOUT_MS);
	for (;;) {
		is = port_rd(h, PX_IS);
		if (!(port_rd(h, PX_CI) & 1) || (is & PXIS_ERRORS))
			break;
		if (ktime_after(ktime_get(), end)) {
			report("timeout PxCI=0x%x PxIS=0x%x PxTFD=0x%x", port_rd(h, PX_CI), is,
			       port_rd(h, PX_TFD));
			return -EIO;
		}
		usleep_range(50, 100);
	}
	tfd = port_rd(h, PX_TFD);
	if ((is & PXIS_ERRORS) || (tfd & TFD_ERR)) {
		report("error PxIS=0x%x PxTFD=0x%x PxSERR=0x%x", is, tfd, port_rd(h, PX_SERR));
		return -EIO;
	}
	return 0;
}

/* ---- operations ---------------------------------------------------------- */

static bool sectors_ok(unsigned int max)
{
	if (sectors == 0 || sectors > max) {
		report("skipped: sectors must be 1..%u", max);
		return false;
	}
	return true;
}

static void fill(u32 *w, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes / 4; i++)
		w[i] = cpu_to_le32(pattern ^ (u32)i);
}

/* Runs body with the controller open and, if own, a coherent buffer of
 * sectors * 512 bytes (buf/buf_dma; NULL/0 otherwise). */
static void with_ahci(bool own, void (*body)(struct ahci *h, void *buf, dma_addr_t buf_dma))
{
	struct ahci h;
	const char *why;
	void *buf = NULL;
	dma_addr_t buf_dma = 0;

	if (!sectors_ok(own ? OWN_MAX_SECTORS : MAX_SECTORS))
		return;
	why = ahci_open(&h);
	if (*why) {
		report("skipped: %s", why);
		goto out;
	}
	/* Physical addresses in the PRDT are only bus addresses if no IOMMU the
	 * guest kernel drives translates this device (on a VMM that does not
	 * hide the IOMMU, boot the guest with amd_iommu=off). */
	if (!own && device_iommu_mapped(&h.pdev->dev)) {
		report("skipped: the guest kernel's IOMMU translates this device (amd_iommu=off)");
		goto out;
	}
	if (own) {
		buf = dma_alloc_coherent(&h.pdev->dev, sectors * 512, &buf_dma, GFP_KERNEL);
		if (!buf) {
			report("skipped: no memory for the buffer");
			goto out;
		}
	}
	body(&h, buf, buf_dma);
	if (buf)
		dma_free_coherent(&h.pdev->dev, sectors * 512, buf, buf_dma);
out:
	ahci_close(&h);
}

static void do_disk_to_mem(struct ahci *h, void *buf, dma_addr_t buf_dma)
{
	if (ahci_rw(h, false, phys, lba, sectors) == 0)
		report("ok");
}

static void do_mem_to_disk(struct ahci *h, void *buf, dma_addr_t buf_dma)
{
	if (ahci_rw(h, true, phys, lba, sectors) == 0)
		report("ok");
}

static void do_fill_disk(struct ahci *h, void *buf, dma_addr_t buf_dma)
{
	fill(buf, sectors * 512);
	if (ahci_rw(h, true, buf_dma, lba, sectors) == 0)
		report("ok");
}

static void do_dump_disk(struct ahci *h, void *buf, dma_addr_t buf_dma)
{
	size_t bytes = sectors * 512, i;
	const u8 *b = buf;
	u64 hash = 0xcbf29ce484222325ULL; /* FNV-1a 64 */
	long find_at = -1;

	memset(buf, 0, bytes);
	if (ahci_rw(h, false, buf_dma, lba, sectors))
		return;
	for (i = 0; i < bytes; i++)
		hash = (hash ^ b[i]) * 0x100000001b3ULL;
	for (i = 0; find && find_at < 0 && i < bytes; i += 4)
		if (le32_to_cpu(*(const __le32 *)(b + i)) == find)
			find_at = i;
	report("ok hash=0x%016llx find_at=%ld head=%*phN", hash, find_at, 32, b);
}

static void do_selftest(struct ahci *h, void *buf, dma_addr_t buf_dma)
{
	size_t bytes = sectors * 512, i;
	u32 *w = buf;

	fill(buf, bytes);
	if (ahci_rw(h, true, buf_dma, lba, sectors))
		return;
	memset(buf, 0, bytes);
	if (ahci_rw(h, false, buf_dma, lba, sectors))
		return;
	for (i = 0; i < bytes / 4; i++) {
		if (w[i] != cpu_to_le32(pattern ^ (u32)i)) {
			report("mismatch at %zu", i * 4);
			return;
		}
	}
	report("ok");
}

static void op_disk_to_mem(void)
{
	with_ahci(false, do_disk_to_mem);
}

static void op_mem_to_disk(void)
{
	with_ahci(false, do_mem_to_disk);
}

static void op_fill_disk(void)
{
	with_ahci(true, do_fill_disk);
}

static void op_dump_disk(void)
{
	with_ahci(true, do_dump_disk);
}

static void op_selftest(void)
{
	with_ahci(true, do_selftest);
}

/* Configuration mechanism #1 (PCI 3.0 section 3.2.2.3.2) with interrupts off
 * between the address and data cycles. The kernel's own lock for the pair
 * (pci_config_lock) is not exported; the tests make no other config accesses
 * at the same time. */
static u32 cfg_addr(void)
{
	return 0x80000000u | (bdf & 0xffff) << 8 | (off & 0xfc);
}

static u32 cfg_rd(void)
{
	unsigned long flags;
	u32 v;

	local_irq_save(flags);
	outl(cfg_addr(), 0xcf8);
	v = inl(0xcfc);
	local_irq_restore(flags);
	return v;
}

static void op_cfg_read(void)
{
	report("value 0x%08x", cfg_rd());
}

/* A dword OUT at `port` after selecting bdf/off: at 0xcf9-0xcfb it is part
 * address register, part data window, which the CPU splits into byte cycles;
 * the bytes that land at 0xcfc+ would be configuration data nobody judged. */
static void op_cfg_write_at(void)
{
	unsigned long flags;

	local_irq_save(flags);
	outl(cfg_addr(), 0xcf8);
	(void)inl(0xcfc); /* a judged read first: the hardware's 0xcf8 may keep its address */
	outl((u32)value, port);
	local_irq_restore(flags);
	report("readback 0x%08x", cfg_rd());
}

static void op_cfg_write(void)
{
	unsigned long flags;

	local_irq_save(flags);
	outl(cfg_addr(), 0xcf8);
	outl((u32)value, 0xcfc);
	local_irq_restore(flags);
	report("readback 0x%08x", cfg_rd());
}

/* MMIO accesses that turn an exception (whatever the hypervisor injects for
 * an address it hides) into a flag instead of an oops: 1 if faulted. */
static int mmio_read(void __iomem *p, u64 *v)
{
	int faulted = 1;
	u64 r = 0;

	if (width == 8)
		asm volatile("1: movq (%[p]), %[r]\n\t"
			     "movl $0, %[f]\n"
			     "2:\n\t" _ASM_EXTABLE(1b, 2b)
			     : [f] "+r"(faulted), [r] "+r"(r)
			     : [p] "r"(p)
			     : "memory");
	else
		asm volatile("1: movl (%[p]), %k[r]\n\t"
			     "movl $0, %[f]\n"
			     "2:\n\t" _ASM_EXTABLE(1b, 2b)
			     : [f] "+r"(faulted), [r] "+r"(r)
			     : [p] "r"(p)
			     : "memory");
	*v = r;
	return faulted;
}

static int mmio_write(void __iomem *p, u64 v)
{
	int faulted = 1;

	if (width == 8)
		asm volatile("1: movq %[v], (%[p])\n\t"
			     "movl $0, %[f]\n"
			     "2:\n\t" _ASM_EXTABLE(1b, 2b)
			     : [f] "+r"(faulted)
			     : [p] "r"(p), [v] "r"(v)
			     : "memory");
	else
		asm volatile("1: movl %k[v], (%[p])\n\t"
			     "movl $0, %[f]\n"
			     "2:\n\t" _ASM_EXTABLE(1b, 2b)
			     : [f] "+r"(faulted)
			     : [p] "r"(p), [v] "r"(v)
			     : "memory");
	return faulted;
}

static void phys_access(bool write)
{
	void __iomem *p;
	u64 v;

	if ((width != 4 && width != 8) || (phys & (width - 1))) {
		report("skipped: width must be 4 or 8 and phys aligned to it");
		return;
	}
	p = ioremap(phys & PAGE_MASK, PAGE_SIZE);
	if (!p) {
		report("skipped: ioremap of 0x%lx failed", phys);
		return;
	}
	p += phys & ~PAGE_MASK;
	if (write && mmio_write(p, value))
		report("faulted");
	else if (mmio_read(p, &v))
		report("faulted");
	else
		report("%s 0x%0*llx", write ? "readback" : "value", width * 2, v);
	iounmap((void __iomem *)((unsigned long)p & PAGE_MASK));
}

static void op_phys_read(void)
{
	phys_access(false);
}

static void op_phys_write(void)
{
	phys_access(true);
}

/* ---- table ------------------------------------------------------------- */

static const struct tv_oneshot_op ops[] = {
	{"disk_to_mem", op_disk_to_mem}, {"mem_to_disk", op_mem_to_disk},
	{"fill_disk", op_fill_disk},	 {"dump_disk", op_dump_disk},
	{"selftest", op_selftest},	 {"cfg_read", op_cfg_read},
	{"cfg_write", op_cfg_write},	 {"cfg_write_at", op_cfg_write_at},
	{"phys_read", op_phys_read},	 {"phys_write", op_phys_write},
};

static int __init tvdma_init(void)
{
	return tv_oneshot_run("tvdma", "op", ops, ARRAY_SIZE(ops), op, &cur);
}

module_init(tvdma_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thinvisor: a guest that programs AHCI DMA itself, one operation per insmod");
