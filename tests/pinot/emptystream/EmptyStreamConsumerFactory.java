package controlplane.tests.stream;

import java.util.Set;
import org.apache.pinot.spi.stream.LongMsgOffset;
import org.apache.pinot.spi.stream.MessageBatch;
import org.apache.pinot.spi.stream.OffsetCriteria;
import org.apache.pinot.spi.stream.PartitionLevelConsumer;
import org.apache.pinot.spi.stream.StreamConsumerFactory;
import org.apache.pinot.spi.stream.StreamLevelConsumer;
import org.apache.pinot.spi.stream.StreamMetadataProvider;
import org.apache.pinot.spi.stream.StreamPartitionMsgOffset;

/**
 * A stream of one partition that never holds a message, so a REALTIME table can be created and
 * consume without Kafka. Only for the real-Pinot tests (tests/pinot); Pinot loads it by the class
 * name in a table's stream config ("stream.empty.consumer.factory.class.name").
 */
public class EmptyStreamConsumerFactory extends StreamConsumerFactory {
  private static final int MAX_WAIT_MILLIS = 1000;

  @Override
  public PartitionLevelConsumer createPartitionLevelConsumer(String clientId, int partition) {
    return new EmptyConsumer();
  }

  @Override
  public StreamLevelConsumer createStreamLevelConsumer(String clientId, String tableName,
      Set<String> fieldsToRead, String groupId) {
    throw new UnsupportedOperationException("the empty stream only has low-level consumers");
  }

  @Override
  public StreamMetadataProvider createPartitionMetadataProvider(String clientId, int partition) {
    return new Metadata();
  }

  @Override
  public StreamMetadataProvider createStreamMetadataProvider(String clientId) {
    return new Metadata();
  }

  static final class Metadata implements StreamMetadataProvider {
    @Override
    public int fetchPartitionCount(long timeoutMillis) {
      return 1;
    }

    @Override
    public StreamPartitionMsgOffset fetchStreamPartitionOffset(OffsetCriteria criteria, long timeoutMillis) {
      return new LongMsgOffset(0);
    }

    @Override
    public void close() {
    }
  }

  static final class EmptyConsumer implements PartitionLevelConsumer {
    @Override
    public MessageBatch<byte[]> fetchMessages(long startOffset, long endOffset, int timeoutMillis) {
      try {
        Thread.sleep(Math.max(0, Math.min(timeoutMillis, MAX_WAIT_MILLIS)));  // no busy loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new EmptyBatch(startOffset);
    }

    @Override
    public void close() {
    }
  }

  static final class EmptyBatch implements MessageBatch<byte[]> {
    private final long _nextOffset;

    EmptyBatch(long nextOffset) {
      _nextOffset = nextOffset;
    }

    @Override
    public int getMessageCount() {
      return 0;
    }

    @Override
    public byte[] getMessageAtIndex(int index) {
      throw new IndexOutOfBoundsException(index);
    }

    @Override
    public int getMessageOffsetAtIndex(int index) {
      throw new IndexOutOfBoundsException(index);
    }

    @Override
    public int getMessageLengthAtIndex(int index) {
      throw new IndexOutOfBoundsException(index);
    }

    @Override
    public long getNextStreamMessageOffsetAtIndex(int index) {
      throw new IndexOutOfBoundsException(index);
    }

    @Override
    public StreamPartitionMsgOffset getOffsetOfNextBatch() {
      return new LongMsgOffset(_nextOffset);
    }
  }
}
